"""coverage-requirements/, coverage/ and coverage/summary/ (JSON or ?format=csv)."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.serializers import reject_body
from apps.core.viewsets import ServiceModelViewSet
from apps.demand import selectors, services
from apps.demand.models import CoverageRequirement
from apps.demand.serializers import (
    CoverageRowSerializer,
    RequirementSerializer,
    RequirementWriteSerializer,
    SummaryRowSerializer,
    coverage_row,
)
from apps.org.models import OrgUnit, Position
from apps.org.scope import scope_paths
from apps.org.selectors import org_unit_list, position_list
from apps.reports.views import ReportQuerySerializer, WeeklyReportView
from apps.reports.weeks import week_end
from apps.users.permissions import RolePermission

REPORT_PARAMETERS = [
    OpenApiParameter("from", str, description="first date (YYYY-MM-DD); default this week"),
    OpenApiParameter("to", str, description="last date (YYYY-MM-DD); default 12 weeks"),
    OpenApiParameter("org_unit", int),
    OpenApiParameter("format", str, enum=["json", "csv"]),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int),
]


class RequirementViewSet(ServiceModelViewSet):
    """Coverage requirements (HR admins write; others read what they may see)."""

    permission_classes = [RolePermission]
    read_serializer_class = RequirementSerializer
    write_serializer_class = RequirementWriteSerializer
    filterset_fields = ("position",)
    ordering_fields = ("start_date", "position")

    def get_queryset(self) -> QuerySet[CoverageRequirement]:
        return selectors.requirement_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> CoverageRequirement:
        return services.requirement_create(**data)

    def perform_service_update(
        self, obj: CoverageRequirement, data: dict[str, Any], if_match: str | None
    ) -> CoverageRequirement:
        return services.requirement_update(requirement=obj, if_match=if_match, **data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        requirement = self.get_object()
        reject_body(request)
        services.requirement_delete(requirement=requirement)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CoverageQuerySerializer(ReportQuerySerializer):
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none(), required=False)
    position = serializers.PrimaryKeyRelatedField(queryset=Position.objects.none(), required=False)
    scoped_relations = {"org_unit": org_unit_list, "position": position_list}
    depth = serializers.IntegerField(required=False, min_value=0, max_value=20, default=0)


# The columns of a coverage row after its key (position or org unit), in the CSV as in JSON.
WEEK_COLUMNS = (
    "week",
    "week_start",
    "required",
    "assigned",
    "gap",
    "ratio",
    "holiday_hours_lost",
    "leave_hours_lost",
)


@extend_schema_view(
    get=extend_schema(
        parameters=[*REPORT_PARAMETERS, OpenApiParameter("position", int)],
        responses=CoverageRowSerializer(many=True),
        summary="Coverage per position",
    )
)
class CoverageView(WeeklyReportView):
    """GET coverage/: per position and week, required, assigned, gap and ratio."""

    query_serializer_class = CoverageQuerySerializer
    report_name = "coverage"
    csv_columns = ("position", *WEEK_COLUMNS)

    def grid_keys(self, request: Request, params: dict[str, Any]) -> list[Any]:
        first, last = params["from"], params["to"]
        # The positions the SQL lists: open on any day of the weeks asked for (not only on
        # Mondays), or with a requirement on one of those days.
        last_day = week_end(last)
        requirement = CoverageRequirement.objects.filter(
            position=OuterRef("pk"), start_date__lte=last_day, end_date__gte=first
        )
        open_in_range = Q(start_date__lte=last_day) & (
            Q(end_date__isnull=True) | Q(end_date__gte=first)
        )
        positions = position_list(user=request.user).filter(open_in_range | Exists(requirement))
        return self.ids_asked_for(positions, params, "position")

    def grid_rows(
        self, request: Request, params: dict[str, Any], keys: list[Any]
    ) -> list[dict[str, Any]]:
        rows = selectors.coverage_weeks(first=params["from"], last=params["to"], position_ids=keys)
        return [coverage_row(r, "position") for r in rows]


@extend_schema_view(
    get=extend_schema(
        parameters=[*REPORT_PARAMETERS, OpenApiParameter("depth", int)],
        responses=SummaryRowSerializer(many=True),
        summary="Coverage per subtree",
    )
)
class CoverageSummaryView(WeeklyReportView):
    """GET coverage/summary/: per org-unit subtree and week (`depth` levels below the unit)."""

    query_serializer_class = CoverageQuerySerializer
    report_name = "coverage_summary"
    csv_columns = ("org_unit", "org_unit_code", *WEEK_COLUMNS)

    def grid_keys(self, request: Request, params: dict[str, Any]) -> list[Any]:
        if getattr(request.user, "is_employee_role", False):
            return []
        return selectors.summary_targets(
            user=request.user, unit=params.get("org_unit"), depth=params["depth"]
        )

    def grid_rows(
        self, request: Request, params: dict[str, Any], keys: list[Any]
    ) -> list[dict[str, Any]]:
        rows = selectors.coverage_summary(
            first=params["from"],
            last=params["to"],
            targets=keys,
            unit_paths=scope_paths(request.user),
        )
        codes = {unit.pk: unit.code for unit in keys}
        return [coverage_row(r, "org_unit", org_unit_code=codes[r.key]) for r in rows]
