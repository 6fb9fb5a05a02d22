"""URL configuration: the admin, the v1 API, its schema and docs, and health checks."""

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core import views as core_views
from apps.core.middleware import API_NOT_FOUND
from apps.demand.views import CoverageSummaryView, CoverageView
from apps.offer.views import SupplyView
from config.api import detail_action_urls, router

api_v1: list[URLPattern | URLResolver] = [
    path("auth/", include("apps.users.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="docs"),
    path("supply/", SupplyView.as_view(), name="supply"),
    path("coverage/", CoverageView.as_view(), name="coverage"),
    path("coverage/summary/", CoverageSummaryView.as_view(), name="coverage-summary"),
    *detail_action_urls,
    path("", include(router.urls)),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
]

if settings.BENCH_VIEWS:
    # Baselines for `make bench` only: never enabled in a real deployment.
    urlpatterns += [path("bench/", include("bench.urls"))]

# Last: whatever else lies under /api/ is a 404 problem document, under DEBUG too.
urlpatterns += [re_path(r"^api/", core_views.api_not_found, name=API_NOT_FOUND)]

handler400 = "apps.core.exceptions.handler400"
handler403 = "apps.core.exceptions.handler403"
handler404 = "apps.core.exceptions.handler404"
handler500 = "apps.core.exceptions.handler500"
