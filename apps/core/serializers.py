"""Serializer building blocks shared by every app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import serializers


class StrictInputMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Rejects fields the serializer does not know (a typo must not be silently ignored)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(self.fields)
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code="unknown_field"
                )
        return super().to_internal_value(data)


class ScopedRelationsMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Ids a caller may send are those of rows they may see: `scoped_relations` maps each
    related field to the selector that lists those rows (called with the request's user), so an
    id outside the caller's scope is refused like an unknown one."""

    scoped_relations: ClassVar[dict[str, Callable[..., QuerySet[Any]]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            for name, selector in self.scoped_relations.items():
                self.fields[name].queryset = selector(user=request.user)  # type: ignore[attr-defined]


class NoInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    """The body of an action that takes none: absent, empty or `{}`. Anything else (a field,
    malformed JSON, another content type) is refused like any other input, not ignored."""


def reject_body(request: Any) -> None:
    """Validate that `request` carries no input (see NoInputSerializer)."""
    NoInputSerializer(data=request.data).is_valid(raise_exception=True)
