"""The transitions/ and history/ actions every lifecycle's viewset gets."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.etag import etag_of
from apps.fsm.lifecycles import lifecycle_for
from apps.fsm.serializers import HistoryRowSerializer, TransitionInputSerializer
from apps.fsm.services import transition_apply


class TransitionActionsMixin:
    """POST {id}/transitions/ and GET {id}/history/ through the one transition path."""

    detail_serializer_class: type
    get_object: Any
    get_serializer_context: Any
    paginate_queryset: Any
    get_paginated_response: Any

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

    @extend_schema(
        request=None,
        responses=HistoryRowSerializer(many=True),
        summary="The subject's transition history, newest first",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, pk: str | None = None) -> Response:
        subject = self.get_object()
        log_model = lifecycle_for(type(subject)).log_model
        rows = (
            log_model.objects.filter(subject=subject)  # type: ignore[attr-defined]
            .select_related("actor")
            .order_by("-at", "-id")
        )
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(HistoryRowSerializer(page, many=True).data)
