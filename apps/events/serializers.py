"""API shapes of the event feed, webhooks and their deliveries."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.core.serializers import StrictInputMixin
from apps.events.models import Attempt, Delivery, DeliveryState, Webhook
from apps.events.services import MAX_OVERLAP_HOURS
from apps.org.models import OrgUnit

WEBHOOK_FIELDS = ("id", "url", "description", "event_types", "org_unit", "active")


class CloudEventSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """A CloudEvent 1.0 in JSON (the schema's description; the feed renders the package's)."""

    specversion = serializers.CharField()
    id = serializers.CharField(help_text="The audit entry's uid (e.g. `change:42`).")  # type: ignore[assignment]
    source = serializers.CharField()  # type: ignore[assignment]
    type = serializers.CharField(help_text="e.g. `coveris.assignment.approved`")
    subject = serializers.CharField(help_text="`<entity type>/<id>`, e.g. `assignment/7`")
    time = serializers.DateTimeField()
    datacontenttype = serializers.CharField()
    data = serializers.DictField()  # type: ignore[assignment]


# One page of the feed, not a list of pages: the schema neither wraps it in an array nor in the
# page-number envelope (count, previous) that the list action would otherwise get.
@extend_schema_serializer(many=False)
class EventFeedSerializer(serializers.Serializer):  # type: ignore[type-arg]
    results = CloudEventSerializer(many=True)
    cursor = serializers.CharField(
        help_text="Pass as `after` to read on from the last event listed (the same cursor when "
        "nothing was listed)."
    )
    next = serializers.CharField(allow_null=True, help_text="The URL of the next page.")


class WebhookSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Webhook
        fields: tuple[str, ...] = (
            *WEBHOOK_FIELDS,
            "failing_since",
            "disabled_reason",
            "previous_secret_expires_at",
            "created_by",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.CharField(
        read_only=True,
        help_text="The signing secret (Standard Webhooks, `whsec_...`): shown this once.",
    )

    class Meta(WebhookSerializer.Meta):
        fields = (*WebhookSerializer.Meta.fields, "secret")
        read_only_fields = fields


class WebhookWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    url = serializers.CharField(max_length=2000)
    event_types = serializers.ListField(
        child=serializers.CharField(max_length=96),
        max_length=200,
        required=False,
        help_text="Event types (GET webhooks/event-types/), or prefixes ending in `.*`; "
        "none: every event.",
    )
    org_unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.all(),
        allow_null=True,
        required=False,
        help_text="Only events about subjects in this unit's subtree; none: the whole "
        "organisation (and org-wide subjects such as users and tags).",
    )

    class Meta:
        model = Webhook
        fields = WEBHOOK_FIELDS
        read_only_fields = ("id",)


class AttemptSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = Attempt
        fields = ("at", "status_code", "duration_ms", "error")
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    event_id = serializers.CharField(source="event.uid", read_only=True)
    event_type = serializers.CharField(source="event.type", read_only=True)
    attempt_log = AttemptSerializer(source="attempt_rows", many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = (
            "id",
            "webhook",
            "event_id",
            "event_type",
            "subject",
            "state",
            "attempts",
            "next_attempt_at",
            "first_attempt_at",
            "last_attempt_at",
            "last_status",
            "last_error",
            "delivered_at",
            "attempt_log",
        )
        read_only_fields = fields


class DeliveryQuerySerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    state = serializers.ChoiceField(choices=DeliveryState.values, required=False)
    # Read by the paginator and the renderer: named here so that the strict check lets them by.
    format = serializers.ChoiceField(choices=["json"], required=False)
    page = serializers.CharField(required=False)
    page_size = serializers.CharField(required=False)


class RotateSecretSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    overlap_hours = serializers.IntegerField(
        min_value=0,
        max_value=MAX_OVERLAP_HOURS,
        default=24,
        help_text="How long the old secret keeps signing beside the new one.",
    )


class ReplaySerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()


class ReplayResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    queued = serializers.IntegerField()


class PingResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ok = serializers.BooleanField()
    status_code = serializers.IntegerField(allow_null=True)
    duration_ms = serializers.IntegerField()
    error = serializers.CharField(allow_blank=True)


def feed_body(results: list[dict[str, Any]], cursor: str, next_url: str | None) -> dict[str, Any]:
    return {"results": results, "cursor": cursor, "next": next_url}
