"""coverage-requirements/, coverage/ and coverage/summary/ (JSON or ?format=csv)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.db import replica_reads
from apps.core.pagination import CoverisPagination
from apps.core.renderers import CSVRenderer, JSONRenderer
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
from apps.reports.grid import grid_response
from apps.reports.views import ReportQuerySerializer, csv_download, wants_csv
from apps.reports.weeks import week_end
from apps.users.models import User
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
    depth = serializers.IntegerField(required=False, min_value=0, max_value=20, default=0)

    def __init__(self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = org_unit_list(user=user)  # type: ignore[attr-defined]
        self.fields["position"].queryset = position_list(user=user)  # type: ignore[attr-defined]


def _query(request: Request) -> dict[str, Any]:
    query = CoverageQuerySerializer(data=request.query_params, user=request.user)
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class CoverageView(APIView):
    """GET coverage/: per position and week, required, assigned, gap and ratio."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    pagination_class = CoverisPagination  # the JSON envelope grid_response writes
    csv_columns = ("position", "week", "week_start", "required", "assigned", "gap", "ratio")

    @extend_schema(
        parameters=[*REPORT_PARAMETERS, OpenApiParameter("position", int)],
        responses=CoverageRowSerializer(many=True),
        summary="Coverage per position",
    )
    @method_decorator(replica_reads)
    def get(self, request: Request) -> Response:
        params = _query(request)
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
        positions = positions.order_by("id")
        if params.get("position"):
            positions = positions.filter(pk=params["position"].pk)
        if params.get("org_unit"):
            positions = positions.filter(org_unit__path__startswith=params["org_unit"].path)
        keys = list(positions.values_list("id", flat=True))

        def compute(ids: list[int]) -> list[dict[str, Any]]:
            rows = selectors.coverage_weeks(first=first, last=last, position_ids=ids)
            return [coverage_row(r, "position") for r in rows]

        response = grid_response(
            request, self, keys, len(params["weeks"]), compute, paginate=not wants_csv(request)
        )
        return csv_download(response, "coverage", params) if wants_csv(request) else response


class CoverageSummaryView(APIView):
    """GET coverage/summary/: per org-unit subtree and week (`depth` levels below the unit)."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    pagination_class = CoverisPagination  # the JSON envelope grid_response writes
    csv_columns = (
        "org_unit",
        "org_unit_code",
        "week",
        "week_start",
        "required",
        "assigned",
        "gap",
        "ratio",
    )

    @extend_schema(
        parameters=[*REPORT_PARAMETERS, OpenApiParameter("depth", int)],
        responses=SummaryRowSerializer(many=True),
        summary="Coverage per subtree",
    )
    @method_decorator(replica_reads)
    def get(self, request: Request) -> Response:
        params = _query(request)
        user = request.user
        if getattr(user, "is_employee_role", False):
            targets: list[OrgUnit] = []
        else:
            targets = selectors.summary_targets(
                user=user, unit=params.get("org_unit"), depth=params["depth"]
            )
        codes = {t.pk: t.code for t in targets}

        def compute(units: list[OrgUnit]) -> list[dict[str, Any]]:
            rows = selectors.coverage_summary(
                first=params["from"], last=params["to"], targets=units, unit_paths=scope_paths(user)
            )
            return [coverage_row(r, "org_unit", org_unit_code=codes[r.key]) for r in rows]

        response = grid_response(
            request, self, targets, len(params["weeks"]), compute, paginate=not wants_csv(request)
        )
        return (
            csv_download(response, "coverage_summary", params) if wants_csv(request) else response
        )
