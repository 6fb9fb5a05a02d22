"""leave-requests/ (with transitions/, history/ and simulate/), leave-entitlements/, and the
leave-balance/ the leave app adds to employees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.serializers import reject_body
from apps.core.viewsets import ServiceModelViewSet
from apps.fsm.views import TransitionActionsMixin
from apps.leave import selectors, services, simulate
from apps.leave.filters import EntitlementFilter, LeaveRequestFilter
from apps.leave.models import LeaveEntitlement, LeaveKind, LeaveRequest
from apps.leave.serializers import (
    BalanceQuerySerializer,
    EntitlementSerializer,
    EntitlementWriteSerializer,
    LeaveBalanceSerializer,
    LeaveRequestDetailSerializer,
    LeaveRequestSerializer,
    LeaveRequestWriteSerializer,
    SimulateInputSerializer,
    SimulateResultSerializer,
)
from apps.users.permissions import RolePermission, acting_user


class LeavePermission(BasePermission):
    """Every signed-in role reads (the queryset scopes it); HR admins, managers and employees
    ask for leave and run transitions — on the employees they may see, as the transition path
    decides per transition; auditors only read."""

    message = "Auditors may read leave requests, not change them."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or not user.is_auditor


class MayDecideLeave(BasePermission):
    """simulate/ answers what an approval would do, the coverage of the employee's positions
    included: for those who approve (HR admins, managers). Employees see no coverage."""

    message = "Only HR admins and managers may see what approving leave would do."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_admin or user.is_manager))


class LeaveRequestViewSet(TransitionActionsMixin, ServiceModelViewSet):
    """Leave requests: create = ask (state `requested`); state through transitions/ (`approve`
    writes the ledger's leave entry, `cancel` of an approved one reverses it)."""

    http_method_names = ["get", "post", "head", "options"]
    permission_classes = [LeavePermission]
    read_serializer_class = LeaveRequestSerializer
    detail_serializer_class = LeaveRequestDetailSerializer
    write_serializer_class = LeaveRequestWriteSerializer
    filterset_class = LeaveRequestFilter
    search_fields = ("employee__last_name", "employee__employee_number")
    ordering_fields = ("start_date", "end_date", "hours", "state", "id")

    def get_queryset(self) -> QuerySet[LeaveRequest]:
        return selectors.leave_request_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> LeaveRequest:
        return services.leave_request_create(actor=acting_user(self.request), **data)

    @extend_schema(
        request=SimulateInputSerializer,
        responses=SimulateResultSerializer,
        summary="What approving leave would do (violations, balance, coverage), writing nothing",
    )
    @action(
        detail=False,
        methods=["post"],
        filter_backends=[],
        pagination_class=None,
        permission_classes=[MayDecideLeave],
    )
    def simulate(self, request: Request) -> Response:
        data = SimulateInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        result = simulate.leave_simulate(actor=acting_user(request), **data.validated_data)
        return Response(SimulateResultSerializer(result).data)


class EntitlementViewSet(ServiceModelViewSet):
    """Leave entitlements per employee, year and kind (HR admins write; others read what they
    may see, employees their own)."""

    permission_classes = [RolePermission]
    read_serializer_class = EntitlementSerializer
    write_serializer_class = EntitlementWriteSerializer
    filterset_class = EntitlementFilter
    ordering_fields = ("year", "employee", "kind", "id")

    def get_queryset(self) -> QuerySet[LeaveEntitlement]:
        return selectors.entitlement_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> LeaveEntitlement:
        return services.entitlement_create(actor=acting_user(self.request), **data)

    def perform_service_update(
        self, obj: LeaveEntitlement, data: dict[str, Any], if_match: str | None
    ) -> LeaveEntitlement:
        return services.entitlement_update(
            entitlement=obj, actor=acting_user(self.request), if_match=if_match, **data
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        entitlement = self.get_object()
        reject_body(request)
        services.entitlement_delete(entitlement=entitlement, actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


def _row(kind: str, figures: dict[str, Decimal]) -> dict[str, Any]:
    return {"kind": kind, **figures}


class LeaveBalanceAction:
    """GET employees/{id}/leave-balance/, which the leave app adds to the employees resource."""

    get_object: Any

    @extend_schema(
        parameters=[
            OpenApiParameter("year", int, description="default: this year"),
            OpenApiParameter("kind", str, enum=LeaveKind.values, description="default: vacation"),
        ],
        responses=LeaveBalanceSerializer,
        summary="Leave hours entitled, approved, requested and remaining in a year",
    )
    def leave_balance(self, request: Request, pk: str | None = None) -> Response:
        employee = self.get_object()
        query = BalanceQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        year, kind = query.validated_data["year"], query.validated_data["kind"]
        balances = services.leave_balances(employee=employee, year=year)
        kinds = [_row(k, balances[k]) for k in LeaveKind.values]
        mine = next(row for row in kinds if row["kind"] == kind)
        body = {"employee": employee.pk, "year": year, **mine, "kinds": kinds}
        return Response(LeaveBalanceSerializer(body).data)
