"""org-units/, positions/ (with weekly-hours/), employees/ (with contract-hours/ and
transitions/; history/ is the audit read side's)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.viewsets import ServiceModelViewSet
from apps.fsm.views import TransitionActionsMixin
from apps.org import selectors, services
from apps.org.filters import EmployeeFilter, OrgUnitFilter, PositionFilter
from apps.org.models import Employee, OrgUnit, Position
from apps.org.serializers import (
    ContractHoursInputSerializer,
    ContractHoursSerializer,
    EmployeeDetailSerializer,
    EmployeeSerializer,
    EmployeeWriteSerializer,
    OrgUnitSerializer,
    OrgUnitWriteSerializer,
    PositionSerializer,
    PositionWriteSerializer,
    WeeklyHoursInputSerializer,
    WeeklyHoursSerializer,
)
from apps.users.permissions import RolePermission, acting_user


class DatedHoursMixin:
    """GET|POST {id}/<versions>/: the subject's hours versions (DESIGN.md §7), newest first,
    and appending one. The subject is looked up in the viewset's scope (404 outside it); the
    actions take no list filters (`filter_backends=[]`), only `page` / `page_size`."""

    get_object: Callable[[], Any]
    get_serializer_context: Callable[[], dict[str, Any]]
    paginate_queryset: Callable[[Any], Any]
    get_paginated_response: Callable[[Any], Response]

    def _versions(
        self,
        request: Request,
        *,
        subject_field: str,
        versions: Callable[..., QuerySet[Any]],
        append: Callable[..., Model],
        read: type[serializers.Serializer],  # type: ignore[type-arg]
        write: type[serializers.Serializer],  # type: ignore[type-arg]
    ) -> Response:
        subject = self.get_object()
        if request.method in SAFE_METHODS:  # GET and HEAD (and HEAD must never write)
            page = self.paginate_queryset(versions(**{subject_field: subject}))
            return self.get_paginated_response(read(page, many=True).data)
        data = write(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        version = append(
            **{subject_field: subject}, actor=acting_user(request), **data.validated_data
        )
        return Response(read(version).data, status=status.HTTP_201_CREATED)


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


class PositionViewSet(DatedHoursMixin, ServiceModelViewSet):
    """Positions; `?org_unit=ID` includes the unit's subtree."""

    permission_classes = [RolePermission]
    manager_actions = ("weekly_hours",)
    read_serializer_class = PositionSerializer
    write_serializer_class = PositionWriteSerializer
    filterset_class = PositionFilter
    search_fields = ("code", "title")
    ordering_fields = ("code", "title", "weekly_hours", "start_date")

    def get_queryset(self) -> QuerySet[Position]:
        return selectors.position_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> Position:
        return services.position_create(actor=acting_user(self.request), **data)

    def perform_service_update(
        self, obj: Position, data: dict[str, Any], if_match: str | None
    ) -> Position:
        return services.position_update(
            position=obj, if_match=if_match, actor=acting_user(self.request), **data
        )

    @extend_schema(
        methods=["GET"],
        responses=WeeklyHoursSerializer(many=True),
        summary="The position's weekly-hours versions, newest valid_from first",
    )
    @extend_schema(
        methods=["POST"],
        request=WeeklyHoursInputSerializer,
        responses={201: WeeklyHoursSerializer},
        summary="Append a weekly-hours version (backdated, current or scheduled)",
    )
    @action(detail=True, methods=["get", "post"], url_path="weekly-hours", filter_backends=[])
    def weekly_hours(self, request: Request, pk: str | None = None) -> Response:
        return self._versions(
            request,
            subject_field="position",
            versions=selectors.weekly_hours_list,
            append=services.weekly_hours_add,
            read=WeeklyHoursSerializer,
            write=WeeklyHoursInputSerializer,
        )


class EmployeeViewSet(DatedHoursMixin, TransitionActionsMixin, ServiceModelViewSet):
    """Employees; state changes only through POST {id}/transitions/."""

    permission_classes = [RolePermission]
    manager_actions = ("transitions", "contract_hours")
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
        return services.employee_create(actor=acting_user(self.request), **data)

    def perform_service_update(
        self, obj: Employee, data: dict[str, Any], if_match: str | None
    ) -> Employee:
        return services.employee_update(
            employee=obj, if_match=if_match, actor=acting_user(self.request), **data
        )

    @extend_schema(
        methods=["GET"],
        responses=ContractHoursSerializer(many=True),
        summary="The employee's contract-hours versions, newest valid_from first",
    )
    @extend_schema(
        methods=["POST"],
        request=ContractHoursInputSerializer,
        responses={201: ContractHoursSerializer},
        summary="Append a contract-hours version (backdated, current or scheduled)",
    )
    @action(detail=True, methods=["get", "post"], url_path="contract-hours", filter_backends=[])
    def contract_hours(self, request: Request, pk: str | None = None) -> Response:
        return self._versions(
            request,
            subject_field="employee",
            versions=selectors.contract_hours_list,
            append=services.contract_hours_add,
            read=ContractHoursSerializer,
            write=ContractHoursInputSerializer,
        )
