"""API shapes of transition requests and history rows (shared by every lifecycle)."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import StrictInputMixin


class TransitionInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    transition = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    override = serializers.BooleanField(default=False)
