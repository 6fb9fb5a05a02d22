"""Serializer building blocks shared by every app."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.codes import ErrorCode


class StrictInputMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Rejects fields the serializer does not know (a typo must not be silently ignored)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(self.fields)
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code=ErrorCode.UNKNOWN_FIELD
                )
        return super().to_internal_value(data)


class NoInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    """The body of an action that takes none: absent, empty or `{}`. Anything else (a field,
    malformed JSON, another content type) is refused like any other input, not ignored."""


def reject_body(request: Any) -> None:
    """Validate that `request` carries no input (see NoInputSerializer)."""
    NoInputSerializer(data=request.data).is_valid(raise_exception=True)
