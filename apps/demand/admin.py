"""The coverage page in the Django admin, listed on the index as "Coverage report"."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.safestring import SafeString

from apps.core.admin import ReadOnlyAdmin, RecordedHistoryMixin, register_panel
from apps.demand.admin_views import coverage_report_view
from apps.demand.charts import position_chart
from apps.demand.models import CoverageReport, CoverageRequirement
from apps.org.models import Position
from apps.users.models import User


def is_hr_admin(user: User | AnonymousUser) -> bool:
    """Staff HR admins and superusers."""
    return bool(
        user.is_active and user.is_staff and (user.is_superuser or getattr(user, "is_admin", False))
    )


@admin.register(CoverageReport)
class CoverageReportAdmin(ReadOnlyAdmin):
    """One page, no objects: the model's list URL shows the report."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_hr_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_hr_admin(request.user)

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "",
                self.admin_site.admin_view(self.changelist_view),
                name="{}_{}_changelist".format(*info),
            )
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return coverage_report_view(request, model_admin=self)


@admin.register(CoverageRequirement)
class CoverageRequirementAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Requirements are written through the service: one requirement per position and day."""

    list_display = ("position", "start_date", "end_date", "required_hours")
    list_filter = ("position__org_unit",)
    search_fields = ("position__code", "position__title")
    autocomplete_fields = ("position",)
    date_hierarchy = "start_date"
    list_select_related = ("position",)

    def save_model(
        self, request: HttpRequest, obj: CoverageRequirement, form: Any, change: bool
    ) -> None:
        from rest_framework.exceptions import APIException

        from apps.demand import services

        fields = {
            name: form.cleaned_data[name]
            for name in ("position", "start_date", "end_date", "required_hours")
        }
        try:
            if change:
                saved = services.requirement_update(requirement=obj, **fields)
            else:
                saved = services.requirement_create(**fields)
        except APIException as exc:
            raise PermissionDenied(str(exc.detail)) from exc
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CoverageRequirement) -> None:
        from apps.demand import services

        services.requirement_delete(requirement=obj)


@admin.display(description="coming 12 weeks")
def position_coming_weeks(obj: Position) -> SafeString | str:
    """Required vs assigned hours of the position, as a chart."""
    return position_chart(obj) if obj.pk else "–"


register_panel(Position, position_coming_weeks)
