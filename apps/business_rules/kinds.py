"""The registry of evaluator kinds: each a small class with its parameters and `evaluate`.

A kind declares its parameters once, as a serializer (`params_serializer`); the JSON schema that
`business-rules/kinds/` shows is derived from it. An evaluator reads the facts it needs from the
subject's context (`context`, a RuleContext subclass), which loads each fact set once with one
set-based query, so an evaluation costs a few queries whatever the number of weeks or rules.
Kinds live with the facts they read and are registered by their app.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from rest_framework import serializers

from apps.business_rules.context import RuleContext, Violation
from apps.reports.weeks import week_label

_registry: dict[str, type[Kind]] = {}


def register[K: type[Kind]](cls: K) -> K:
    """Class decorator: make an evaluator kind available to rules."""
    _registry[cls.name] = cls
    return cls


def kinds() -> dict[str, type[Kind]]:
    """Every registered kind by name."""
    return dict(_registry)


class NoParams(serializers.Serializer):  # type: ignore[type-arg]
    pass


class Kind:
    """Base of an evaluator kind."""

    name: ClassVar[str]
    description: ClassVar[str]
    # The subjects it reads: rules of this kind apply to subjects whose context is one of these.
    context: ClassVar[type[RuleContext]] = RuleContext
    params_serializer: ClassVar[type[serializers.Serializer]] = NoParams  # type: ignore[type-arg]

    def __init__(self, rule: Any) -> None:
        self.rule = rule
        self.params = rule.params or {}

    @classmethod
    def schema(cls) -> dict[str, Any]:
        """The parameters' JSON schema, derived from `params_serializer`."""
        return params_schema(cls.params_serializer)

    @classmethod
    def validate_params(cls, params: Any) -> dict[str, Any]:
        """Validated parameters, or serializers.ValidationError naming the bad ones."""
        if not isinstance(params, dict):
            raise serializers.ValidationError("Parameters must be an object.")
        unknown = sorted(set(params) - set(cls.params_serializer().fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown parameter."] for name in unknown})
        checked = cls.params_serializer(data=params)
        checked.is_valid(raise_exception=True)
        return {k: plain(v) for k, v in checked.validated_data.items()}

    def violation(self, ctx: Any, message: str, weeks: list[Any], **facts: Any) -> Violation:
        """A violation of this rule: `{rule, kind, severity, message, weeks, facts}`."""
        return {
            "rule": self.rule.code,
            "kind": self.name,
            "severity": self.rule.severity,
            "message": message,
            "weeks": [week_label(w) for w in weeks],
            "facts": {k: plain(v) for k, v in facts.items()},
        }

    def evaluate(self, ctx: Any) -> list[Violation]:  # pragma: no cover
        raise NotImplementedError


def plain(value: Any) -> Any:
    """JSON-safe facts: decimals as strings with two places."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def over_limit(
    weeks: list[Any], actual: Callable[[Any], Decimal], limit: Callable[[Any], Decimal]
) -> tuple[list[Any], Any]:
    """The weeks where actual > limit, and the week with the largest excess."""
    over = [w for w in weeks if actual(w) > limit(w)]
    most = max(over, key=lambda w: actual(w) - limit(w)) if over else None
    return over, most


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, Decimal) and value == value.to_integral() else value


def _field_schema(field: serializers.Field) -> dict[str, Any]:  # type: ignore[type-arg]
    """One parameter's JSON schema, from the serializer field that validates it."""
    if isinstance(field, serializers.ListField):
        schema: dict[str, Any] = {"type": "array", "items": _field_schema(field.child)}
        if field.min_length is not None:
            schema["minItems"] = field.min_length
        if field.max_length is not None:
            schema["maxItems"] = field.max_length
        if isinstance(field.child, serializers.ChoiceField):
            schema["uniqueItems"] = True
        return schema
    if isinstance(field, serializers.ChoiceField):
        return {"enum": list(field.choices)}
    if isinstance(field, serializers.BooleanField):
        return {"type": "boolean"}
    if isinstance(field, serializers.IntegerField | serializers.DecimalField):
        schema = {"type": "integer" if isinstance(field, serializers.IntegerField) else "number"}
        if field.min_value is not None:
            schema["minimum"] = _number(field.min_value)
        if field.max_value is not None:
            schema["maximum"] = _number(field.max_value)
        return schema
    return {"type": "string"}


def params_schema(serializer: type[serializers.Serializer]) -> dict[str, Any]:  # type: ignore[type-arg]
    """The JSON schema of a kind's parameters: an object of exactly the serializer's fields."""
    fields = serializer().fields
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {name: _field_schema(f) for name, f in fields.items()},
        "additionalProperties": False,
    }
    required = [name for name, f in fields.items() if f.required]
    if required:
        schema["required"] = required
    return schema
