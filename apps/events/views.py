"""events/ (the commit-safe CloudEvents feed: HR admins and auditors) and webhooks/ (HR admins):
subscriptions, their deliveries, manual retry, a test ping, secret rotation and replay."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.codes import ErrorCode
from apps.core.exceptions import ProblemError
from apps.core.idempotency import sensitive
from apps.core.pagination import CoverisPagination
from apps.core.serializers import NoInputSerializer, reject_body
from apps.core.viewsets import ServiceModelViewSet
from apps.events import cloud, feed, services, types
from apps.events.models import Attempt, Delivery, DeliveryState, Webhook
from apps.events.serializers import (
    DeliveryQuerySerializer,
    DeliverySerializer,
    EventFeedSerializer,
    PingResultSerializer,
    ReplayResultSerializer,
    ReplaySerializer,
    RotateSecretSerializer,
    WebhookSerializer,
    WebhookWithSecretSerializer,
    WebhookWriteSerializer,
    feed_body,
)
from apps.users.permissions import AdminOrAuditorReadAdminWrite, IsAdmin, acting_user


class EventFeedViewSet(viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Every audit entry as a CloudEvent, oldest first. Read on with `after=<cursor>`: a reader
    never misses an event, even one whose transaction commits after the reader passed it."""

    permission_classes = [AdminOrAuditorReadAdminWrite]
    pagination_class = CoverisPagination
    filter_backends: list[Any] = []

    @extend_schema(
        parameters=[
            OpenApiParameter("after", str, description="The `cursor` of the previous page."),
            OpenApiParameter("page_size", int, description="At most 100 events (default 25)."),
            # The feed reads on by cursor, not by page number.
            OpenApiParameter("page", exclude=True),
        ],
        responses=EventFeedSerializer,
        summary="The event feed (CloudEvents 1.0), commit-safe",
    )
    def list(self, request: Request) -> Response:
        paginator: Any = self.paginator
        size = paginator.get_page_size(request)
        text = request.query_params.get("after", "")
        position = feed.parse_cursor(text) if text else feed.START
        if position is None:
            raise ProblemError(
                "`after` is a cursor from a previous page of events/.",
                code=ErrorCode.INVALID_CURSOR,
            )
        events = list(feed.after(position)[:size])
        last = feed.position_of(events[-1]) if events else position
        cursor = feed.cursor_of(last)
        next_url = None
        if len(events) == size:
            next_url = request.build_absolute_uri(f"{request.path}?after={cursor}&page_size={size}")
        return Response(feed_body([cloud.as_dict(e) for e in events], cursor, next_url))


class WebhookViewSet(ServiceModelViewSet):
    """Webhook subscriptions (HR admins). The signing secret is in the answer to the create and
    to rotate-secret/, and nowhere else."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    permission_classes = [IsAdmin]
    read_serializer_class = WebhookSerializer
    write_serializer_class = WebhookWriteSerializer
    filterset_fields = ("active", "org_unit")
    search_fields = ("url", "description")
    ordering_fields = ("id", "url", "created_at")

    def get_queryset(self) -> QuerySet[Webhook]:
        return Webhook.objects.order_by("id")

    @extend_schema(request=WebhookWriteSerializer, responses={201: WebhookWithSecretSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = WebhookWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        webhook, secret = services.webhook_create(actor=acting_user(request), **data.validated_data)
        webhook.secret = secret  # type: ignore[attr-defined]
        answer = Response(WebhookWithSecretSerializer(webhook).data, status=status.HTTP_201_CREATED)
        sensitive(answer)
        return answer

    def perform_service_update(
        self, obj: Webhook, data: dict[str, Any], if_match: str | None
    ) -> Webhook:
        return services.webhook_update(
            webhook=obj, if_match=if_match, actor=acting_user(self.request), **data
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reject_body(request)
        services.webhook_delete(webhook=self.get_object(), actor=acting_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        responses={200: {"type": "array", "items": {"type": "string"}}},
        summary="Every event type a webhook may subscribe to",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path="event-types",
        pagination_class=None,
        filter_backends=[],
    )
    def event_types(self, request: Request) -> Response:
        return Response(types.event_types())

    @extend_schema(
        parameters=[OpenApiParameter("state", str, enum=DeliveryState.values)],
        responses=DeliverySerializer(many=True),
        summary="The webhook's deliveries, newest first, with every attempt",
    )
    @action(detail=True, methods=["get"], url_path="deliveries", filter_backends=[])
    def deliveries(self, request: Request, pk: str | None = None) -> Response:
        webhook = self.get_object()
        query = DeliveryQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        rows = (
            Delivery.objects.filter(webhook=webhook)
            .select_related("event")
            .prefetch_related(Prefetch("attempt_rows", Attempt.objects.order_by("id")))
            .order_by("-id")
        )
        if "state" in query.validated_data:
            rows = rows.filter(state=query.validated_data["state"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        request=NoInputSerializer,
        responses={202: DeliverySerializer},
        parameters=[
            OpenApiParameter(
                "delivery_id", int, OpenApiParameter.PATH, description="The delivery's id."
            )
        ],
        summary="Deliver again now, with a fresh retry window",
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>[^/.]+)/retry")
    def retry(
        self, request: Request, pk: str | None = None, delivery_id: str | None = None
    ) -> Response:
        reject_body(request)
        webhook = self.get_object()
        if not (delivery_id or "").isascii() or not (delivery_id or "").isdigit():
            raise NotFound("No such delivery.")
        row = get_object_or_404(Delivery, pk=int(delivery_id or 0), webhook=webhook)
        row = services.delivery_retry(delivery_row=row, actor=acting_user(request))
        return Response(DeliverySerializer(row).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=NoInputSerializer,
        responses=PingResultSerializer,
        summary="Send a signed test ping now and show the receiver's answer",
    )
    @action(detail=True, methods=["post"], url_path="test")
    def test(self, request: Request, pk: str | None = None) -> Response:
        reject_body(request)
        outcome = services.webhook_test(webhook=self.get_object())
        return Response(PingResultSerializer(outcome).data)

    @extend_schema(
        request=RotateSecretSerializer,
        responses=WebhookWithSecretSerializer,
        summary="A new signing secret; the old one signs beside it for overlap_hours",
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        data = RotateSecretSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook, secret = services.webhook_rotate_secret(
            webhook=self.get_object(), actor=acting_user(request), **data.validated_data
        )
        webhook.secret = secret  # type: ignore[attr-defined]
        answer = Response(WebhookWithSecretSerializer(webhook).data)
        sensitive(answer)
        return answer

    @extend_schema(
        request=ReplaySerializer,
        responses={202: ReplayResultSerializer},
        summary="Deliver again every event of a time range the webhook takes",
    )
    @action(detail=True, methods=["post"], url_path="replay")
    def replay(self, request: Request, pk: str | None = None) -> Response:
        data = ReplaySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        queued = services.webhook_replay(
            webhook=self.get_object(), actor=acting_user(request), **data.validated_data
        )
        return Response({"queued": queued}, status=status.HTTP_202_ACCEPTED)
