"""assignments/ with transitions/, history/, violations/ and simulate/."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.assignments import selectors, services
from apps.assignments.filters import AssignmentFilter
from apps.assignments.models import Assignment
from apps.assignments.serializers import (
    AssignmentDetailSerializer,
    AssignmentSerializer,
    AssignmentWriteSerializer,
    SimulateInputSerializer,
    SimulateResultSerializer,
    ViolationSerializer,
)
from apps.business_rules.engine import evaluate
from apps.core.viewsets import ServiceModelViewSet
from apps.fsm.views import TransitionActionsMixin
from apps.users.permissions import RolePermission, acting_user


class AssignmentViewSet(TransitionActionsMixin, ServiceModelViewSet):
    """Assignments: create = propose; edits only while proposed; state through transitions/."""

    permission_classes = [RolePermission]
    manager_actions = ("create", "update", "partial_update", "transitions", "simulate")
    read_serializer_class = AssignmentSerializer
    detail_serializer_class = AssignmentDetailSerializer
    write_serializer_class = AssignmentWriteSerializer
    filterset_class = AssignmentFilter
    search_fields = ("employee__last_name", "employee__employee_number", "position__code")
    ordering_fields = ("start_date", "end_date", "weekly_hours", "state", "id")

    def get_queryset(self) -> QuerySet[Assignment]:
        return selectors.assignment_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> Assignment:
        return services.assignment_propose(actor=acting_user(self.request), **data)

    def perform_service_update(
        self, obj: Assignment, data: dict[str, Any], if_match: str | None
    ) -> Assignment:
        return services.assignment_update(
            assignment=obj, actor=acting_user(self.request), if_match=if_match, **data
        )

    @extend_schema(
        request=None,
        responses=ViolationSerializer(many=True),
        summary="The assignment evaluated against every applicable rule now",
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def violations(self, request: Request, pk: str | None = None) -> Response:
        return Response(evaluate(subject=self.get_object(), transition=None))

    @extend_schema(
        request=SimulateInputSerializer,
        responses=SimulateResultSerializer,
        summary="What an assignment would cause, writing nothing",
    )
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def simulate(self, request: Request) -> Response:
        data = SimulateInputSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        fields = {k: v for k, v in data.validated_data.items() if k not in ("override", "reason")}
        result = services.assignment_simulate(actor=acting_user(request), **fields)
        return Response(SimulateResultSerializer(result).data)
