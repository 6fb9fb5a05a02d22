"""org-units/, positions/, employees/ (with transitions/ and history/)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.core.viewsets import ServiceModelViewSet
from apps.fsm.views import TransitionActionsMixin
from apps.org import selectors, services
from apps.org.filters import EmployeeFilter, OrgUnitFilter, PositionFilter
from apps.org.models import Employee, OrgUnit, Position
from apps.org.serializers import (
    EmployeeDetailSerializer,
    EmployeeSerializer,
    EmployeeWriteSerializer,
    OrgUnitSerializer,
    OrgUnitWriteSerializer,
    PositionSerializer,
    PositionWriteSerializer,
)
from apps.users.permissions import RolePermission


class OrgUnitViewSet(ServiceModelViewSet):
    """The org-unit tree. `?within=ID` lists a subtree."""

    permission_classes = [RolePermission]
    read_serializer_class = OrgUnitSerializer
    write_serializer_class = OrgUnitWriteSerializer
    filterset_class = OrgUnitFilter
    search_fields = ("code", "name")
    ordering_fields = ("code", "name", "path")

    def get_queryset(self) -> QuerySet[OrgUnit]:
        return selectors.org_unit_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> OrgUnit:
        return services.org_unit_create(**data)

    def perform_service_update(
        self, obj: OrgUnit, data: dict[str, Any], if_match: str | None
    ) -> OrgUnit:
        return services.org_unit_update(unit=obj, if_match=if_match, **data)


class PositionViewSet(ServiceModelViewSet):
    """Positions; `?org_unit=ID` includes the unit's subtree."""

    permission_classes = [RolePermission]
    read_serializer_class = PositionSerializer
    write_serializer_class = PositionWriteSerializer
    filterset_class = PositionFilter
    search_fields = ("code", "title")
    ordering_fields = ("code", "title", "weekly_hours", "start_date")

    def get_queryset(self) -> QuerySet[Position]:
        return selectors.position_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> Position:
        return services.position_create(**data)

    def perform_service_update(
        self, obj: Position, data: dict[str, Any], if_match: str | None
    ) -> Position:
        return services.position_update(position=obj, if_match=if_match, **data)


class EmployeeViewSet(TransitionActionsMixin, ServiceModelViewSet):
    """Employees; state changes only through POST {id}/transitions/."""

    permission_classes = [RolePermission]
    manager_actions = ("transitions",)
    read_serializer_class = EmployeeSerializer
    detail_serializer_class = EmployeeDetailSerializer
    write_serializer_class = EmployeeWriteSerializer
    filterset_class = EmployeeFilter
    search_fields = ("employee_number", "first_name", "last_name", "email")
    ordering_fields = ("employee_number", "last_name", "hire_date", "state", "contract_hours")
    list_from_values = True

    def get_queryset(self) -> QuerySet[Employee]:
        return selectors.employee_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> Employee:
        return services.employee_create(**data)

    def perform_service_update(
        self, obj: Employee, data: dict[str, Any], if_match: str | None
    ) -> Employee:
        return services.employee_update(employee=obj, if_match=if_match, **data)
