"""hours-ledger/ (list, create, reverse; never edited) and supply/."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.viewsets import ServiceModelViewSet
from apps.offer import selectors, services
from apps.offer.models import LedgerEntry
from apps.offer.serializers import (
    LedgerEntrySerializer,
    LedgerEntryWriteSerializer,
    ReverseInputSerializer,
    SupplyRowSerializer,
    supply_row,
)
from apps.org.models import Employee, OrgUnit
from apps.org.selectors import employee_list, org_unit_list
from apps.reports.views import ReportQuerySerializer, WeeklyReportView
from apps.users.permissions import RolePermission, acting_user


class LedgerEntryViewSet(ServiceModelViewSet):
    """The hours ledger: append-only; corrections by POST {id}/reverse/."""

    http_method_names = ["get", "post", "head", "options"]
    permission_classes = [RolePermission]
    manager_actions = ("create", "reverse")
    read_serializer_class = LedgerEntrySerializer
    write_serializer_class = LedgerEntryWriteSerializer
    filterset_fields = ("employee", "kind")
    ordering_fields = ("at", "start_date", "id")

    def get_queryset(self) -> QuerySet[LedgerEntry]:
        return selectors.ledger_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> LedgerEntry:
        return services.ledger_entry_create(actor=acting_user(self.request), **data)

    @extend_schema(
        request=ReverseInputSerializer,
        responses={201: LedgerEntrySerializer},
        summary="Append the correction that reverses this entry",
    )
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        data = ReverseInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services.ledger_entry_reverse(
            entry=self.get_object(), actor=acting_user(request), **data.validated_data
        )
        return self._detail_response(entry, status.HTTP_201_CREATED)


class SupplyQuerySerializer(ReportQuerySerializer):
    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.none(), required=False)
    org_unit = serializers.PrimaryKeyRelatedField(queryset=OrgUnit.objects.none(), required=False)
    scoped_relations = {"employee": employee_list, "org_unit": org_unit_list}


@extend_schema_view(
    get=extend_schema(
        parameters=[
            OpenApiParameter("employee", int),
            OpenApiParameter("org_unit", int),
            OpenApiParameter("from", str, description="date (YYYY-MM-DD)"),
            OpenApiParameter("to", str, description="date (YYYY-MM-DD)"),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=SupplyRowSerializer(many=True),
        summary="Weekly supply series",
    )
)
class SupplyView(WeeklyReportView):
    """GET supply/: weekly contract, ledger, supply, assigned and free hours per employee."""

    query_serializer_class = SupplyQuerySerializer
    report_name = "supply"
    csv_columns = (
        "employee",
        "week",
        "week_start",
        "contract",
        "ledger",
        "supply",
        "assigned",
        "free",
        "working_hours",
    )

    def grid_keys(self, request: Request, params: dict[str, Any]) -> list[Any]:
        return self.ids_asked_for(employee_list(user=request.user), params, "employee")

    def grid_rows(
        self, request: Request, params: dict[str, Any], keys: list[Any]
    ) -> list[dict[str, Any]]:
        rows = selectors.supply_weeks(first=params["from"], last=params["to"], employee_ids=keys)
        return [supply_row(r) for r in rows]
