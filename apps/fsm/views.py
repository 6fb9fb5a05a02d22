"""The transitions/ action every lifecycle's viewset gets (history/ is the audit read side's:
apps.audit_log.views.history_view)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.etag import etag_of
from apps.fsm.serializers import TransitionInputSerializer
from apps.fsm.services import transition_apply


class TransitionActionsMixin:
    """POST {id}/transitions/ through the one transition path."""

    detail_serializer_class: type
    get_object: Any
    get_serializer_context: Any

    @extend_schema(request=TransitionInputSerializer, summary="Run a lifecycle transition")
    @action(detail=True, methods=["post"])
    def transitions(self, request: Request, pk: str | None = None) -> Response:
        subject = self.get_object()
        data = TransitionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        updated, _ = transition_apply(
            subject=subject,
            transition=data.validated_data["transition"],
            actor=request.user,
            reason=data.validated_data["reason"],
            override=data.validated_data["override"],
        )
        body = self.detail_serializer_class(updated, context=self.get_serializer_context()).data
        return Response(body, headers={"ETag": etag_of(updated)})
