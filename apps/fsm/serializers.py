"""API shapes of transition requests and history rows (shared by every lifecycle)."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import StrictInputMixin


class TransitionInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    transition = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    override = serializers.BooleanField(default=False)


class HistoryRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """One log row: what changed, from what to what, who, when, why, and its chain links."""

    id = serializers.IntegerField()
    transition = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    actor_email = serializers.EmailField(source="actor.email", default=None, allow_null=True)
    at = serializers.DateTimeField()
    reason = serializers.CharField()
    request_id = serializers.CharField()
    metadata = serializers.JSONField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()
