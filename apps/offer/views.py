"""hours-ledger/ (list, create, reverse; never edited) and supply/."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.db import replica_reads
from apps.core.pagination import CoverisPagination
from apps.core.renderers import CSVRenderer, JSONRenderer
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
from apps.reports.grid import grid_response
from apps.reports.views import ReportQuerySerializer, csv_download, wants_csv
from apps.users.models import User
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

    def __init__(self, *args: Any, user: User | AnonymousUser | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["employee"].queryset = employee_list(user=user)  # type: ignore[attr-defined]
        self.fields["org_unit"].queryset = org_unit_list(user=user)  # type: ignore[attr-defined]


class SupplyView(APIView):
    """GET supply/: weekly contract, ledger, supply, assigned and free hours per employee."""

    renderer_classes = [JSONRenderer, CSVRenderer]
    pagination_class = CoverisPagination  # the JSON envelope grid_response writes
    csv_columns = (
        "employee",
        "week",
        "week_start",
        "contract",
        "ledger",
        "supply",
        "assigned",
        "free",
    )

    @extend_schema(
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
    @method_decorator(replica_reads)
    def get(self, request: Request) -> Response:
        query = SupplyQuerySerializer(data=request.query_params, user=request.user)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        employees = employee_list(user=request.user).order_by("id")
        if params.get("employee"):
            employees = employees.filter(pk=params["employee"].pk)
        if params.get("org_unit"):
            employees = employees.filter(org_unit__path__startswith=params["org_unit"].path)
        keys = list(employees.values_list("id", flat=True))

        def compute(ids: list[int]) -> list[dict[str, Any]]:
            rows = selectors.supply_weeks(first=params["from"], last=params["to"], employee_ids=ids)
            return [supply_row(r) for r in rows]

        response = grid_response(
            request, self, keys, len(params["weeks"]), compute, paginate=not wants_csv(request)
        )
        return csv_download(response, "supply", params) if wants_csv(request) else response
