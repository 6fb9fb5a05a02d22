"""API shapes of transitions, shared by every lifecycle (history rows are audit rows)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.serializers import StrictInputMixin
from apps.fsm.services import available_transitions


class TransitionInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    transition = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")
    override = serializers.BooleanField(default=False)


class TransitionOptionSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField()
    target = serializers.CharField()


@extend_schema_field(TransitionOptionSerializer(many=True))
class AvailableTransitionsField(serializers.Field):  # type: ignore[type-arg]
    """The transitions the requesting user may run on the subject now: [{"name", "target"}]."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.update(source="*", read_only=True)
        super().__init__(**kwargs)

    def to_representation(self, subject: Any) -> list[dict[str, str]]:
        return available_transitions(subject=subject, actor=self.context["request"].user)


# A lifecycle subject's detail shape: its read serializer's fields, then `available_transitions`.
# Put it before the read serializer: `class XDetailSerializer(WithAvailableTransitions,
# XSerializer)`. (A comment, not a docstring: the schema describes the detail shape with the
# read serializer's docstring.)
class WithAvailableTransitions(serializers.Serializer):  # type: ignore[type-arg]
    available_transitions = AvailableTransitionsField()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        base: Any = cls.Meta  # type: ignore[attr-defined]
        fields = (*base.fields, "available_transitions")
        cls.Meta = type("Meta", (base,), {"fields": fields, "read_only_fields": fields})  # type: ignore[attr-defined]
