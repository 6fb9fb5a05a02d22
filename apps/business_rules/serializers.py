"""API shapes of business rules; parameters are validated against the kind's schema."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.business_rules.kinds import kinds
from apps.business_rules.models import BusinessRule, guarded_by_default
from apps.core.codes import ErrorCode
from apps.core.serializers import StrictInputMixin

GUARDABLE = ("propose", "approve", "activate", "end", "cancel", "reject")
RULE_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "params",
    "severity",
    "enabled",
    "scope",
    "transitions",
)


class BusinessRuleSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = BusinessRule
        fields = RULE_FIELDS
        read_only_fields = fields


class BusinessRuleWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=[])
    transitions = serializers.ListField(
        child=serializers.ChoiceField(choices=GUARDABLE),
        allow_empty=True,
        max_length=10,
        required=False,
        default=guarded_by_default,
        help_text="The assignment transitions the rule guards; omitted: propose and approve.",
    )

    class Meta:
        model = BusinessRule
        fields = RULE_FIELDS
        read_only_fields = ("id",)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = sorted(kinds())  # type: ignore[attr-defined]

    def validate_transitions(self, value: list[str]) -> list[str]:
        return sorted(set(value))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = str(attrs.get("kind", getattr(self.instance, "kind", "")))
        params = attrs.get("params", getattr(self.instance, "params", {}))
        if kind not in kinds():
            raise serializers.ValidationError({"kind": ["Unknown kind."]}, code=ErrorCode.INVALID)
        try:
            attrs["params"] = kinds()[kind].validate_params(params)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError(
                {"params": exc.detail}, code=ErrorCode.INVALID
            ) from exc
        return attrs


class KindSerializer(serializers.Serializer):  # type: ignore[type-arg]
    name = serializers.CharField()
    description = serializers.CharField()
    schema = serializers.DictField()
