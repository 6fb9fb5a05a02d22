"""business-rules/ (HR admins) and business-rules/kinds/."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.business_rules import services
from apps.business_rules.kinds import kinds
from apps.business_rules.models import BusinessRule
from apps.business_rules.serializers import (
    BusinessRuleSerializer,
    BusinessRuleWriteSerializer,
    KindSerializer,
)
from apps.core.serializers import reject_body
from apps.core.viewsets import ServiceModelViewSet
from apps.users.permissions import AdminOrAuditorReadAdminWrite


class BusinessRuleViewSet(ServiceModelViewSet):
    """The rule catalogue: HR admins change it, auditors read it."""

    permission_classes = [AdminOrAuditorReadAdminWrite]
    read_serializer_class = BusinessRuleSerializer
    write_serializer_class = BusinessRuleWriteSerializer
    filterset_fields = ("kind", "severity", "enabled", "scope")
    search_fields = ("code", "name")
    ordering_fields = ("code", "kind", "severity")

    def get_queryset(self) -> QuerySet[BusinessRule]:
        return BusinessRule.objects.order_by("code")

    def perform_service_create(self, data: dict[str, Any]) -> BusinessRule:
        return services.rule_create(**data)

    def perform_service_update(
        self, obj: BusinessRule, data: dict[str, Any], if_match: str | None
    ) -> BusinessRule:
        return services.rule_update(rule=obj, if_match=if_match, **data)

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        rule = self.get_object()
        reject_body(request)
        services.rule_delete(rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=KindSerializer(many=True), summary="Evaluator kinds and schemas")
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def kinds(self, request: Request) -> Response:
        rows = [
            {"name": k.name, "description": k.description, "schema": k.schema()}
            for k in sorted(kinds().values(), key=lambda k: k.name)
        ]
        return Response(KindSerializer(rows, many=True).data)
