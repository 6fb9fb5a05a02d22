"""The v1 API router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from apps.users.views import UserViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
