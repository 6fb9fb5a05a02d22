"""The v1 API router: every app registers its viewsets here."""

from rest_framework.routers import DefaultRouter

from apps.org.views import EmployeeViewSet, OrgUnitViewSet, PositionViewSet
from apps.users.views import UserViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("users", UserViewSet, basename="user")
router.register("org-units", OrgUnitViewSet, basename="org-unit")
router.register("positions", PositionViewSet, basename="position")
router.register("employees", EmployeeViewSet, basename="employee")
