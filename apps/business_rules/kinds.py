"""The registry of evaluator kinds: each a small class with a parameter schema and `evaluate`.

An evaluator reads the facts it needs from an `EvaluationContext`, which loads each fact set
once with one set-based query, so an evaluation costs a few queries whatever the number of
weeks, rules or assignments.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, ClassVar

from rest_framework import serializers

from apps.business_rules.context import EvaluationContext, Violation
from apps.fsm.states import EmployeeState
from apps.reports.weeks import week_label

_registry: dict[str, type[Kind]] = {}


def register(cls: type[Kind]) -> type[Kind]:
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
    params_serializer: ClassVar[type[serializers.Serializer]] = NoParams  # type: ignore[type-arg]
    schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "properties": {},
        "additionalProperties": False,
    }

    def __init__(self, rule: Any) -> None:
        self.rule = rule
        self.params = rule.params or {}

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
        return {k: _plain(v) for k, v in checked.validated_data.items()}

    def violation(
        self, ctx: EvaluationContext, message: str, weeks: list[Any], **facts: Any
    ) -> Violation:
        return {
            "rule": self.rule.code,
            "kind": self.name,
            "severity": self.rule.severity,
            "message": message,
            "weeks": [week_label(w) for w in weeks],
            "facts": {k: _plain(v) for k, v in facts.items()},
        }

    def evaluate(self, ctx: EvaluationContext) -> list[Violation]:  # pragma: no cover
        raise NotImplementedError


def _plain(value: Any) -> Any:
    """JSON-safe facts: decimals as strings with two places."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _worst(
    weeks: list[Any], actual: Callable[[Any], Decimal], limit: Callable[[Any], Decimal]
) -> tuple[list[Any], Any]:
    """The weeks where actual > limit, and the week with the largest excess."""
    over = [w for w in weeks if actual(w) > limit(w)]
    worst = max(over, key=lambda w: actual(w) - limit(w)) if over else None
    return over, worst


class MaxHoursParams(serializers.Serializer):  # type: ignore[type-arg]
    max_hours = serializers.DecimalField(max_digits=6, decimal_places=2, min_value=0, max_value=168)


@register
class MaxWeeklyHours(Kind):
    name = "max_weekly_hours"
    description = "An employee's assigned hours in any week stay at or below max_hours."
    params_serializer = MaxHoursParams
    schema = {
        "type": "object",
        "required": ["max_hours"],
        "additionalProperties": False,
        "properties": {"max_hours": {"type": "number", "minimum": 0, "maximum": 168}},
    }

    def evaluate(self, ctx: EvaluationContext) -> list[Violation]:
        limit = Decimal(str(self.params["max_hours"]))
        weeks = ctx.employee_weeks
        over, worst = _worst(weeks, lambda w: ctx.employee_total(w), lambda w: limit)
        if not over:
            return []
        actual = ctx.employee_total(worst)
        return [
            self.violation(
                ctx,
                f"{ctx.employee_name} would work {actual} h in {week_label(worst.week_start)}, "
                f"over the limit of {limit} h.",
                [w.week_start for w in over],
                limit=limit,
                actual=actual,
            )
        ]


@register
class NoOvercommit(Kind):
    name = "no_overcommit"
    description = "An employee's assigned hours in any week stay within their supply."

    def evaluate(self, ctx: EvaluationContext) -> list[Violation]:
        weeks = ctx.employee_weeks
        over, worst = _worst(weeks, lambda w: ctx.employee_total(w), lambda w: w.supply)
        if not over:
            return []
        actual = ctx.employee_total(worst)
        return [
            self.violation(
                ctx,
                f"{ctx.employee_name} would be assigned {actual} h in "
                f"{week_label(worst.week_start)} but has {worst.supply} h available.",
                [w.week_start for w in over],
                limit=worst.supply,
                actual=actual,
            )
        ]


@register
class RequiredTags(Kind):
    name = "required_tags"
    description = (
        "The employee holds every tag the position requires, at the minimum level, "
        "valid in every week of the assignment (active once tags are configured)."
    )

    def evaluate(self, ctx: EvaluationContext) -> list[Violation]:
        return ctx.required_tag_violations(self)


class StatesParams(serializers.Serializer):  # type: ignore[type-arg]
    states = serializers.ListField(
        child=serializers.ChoiceField(choices=EmployeeState.choices),
        min_length=1,
        max_length=len(EmployeeState.choices),
    )


@register
class AllowedEmployeeStates(Kind):
    name = "allowed_employee_states"
    description = "The employee is in one of the listed lifecycle states."
    params_serializer = StatesParams
    schema = {
        "type": "object",
        "required": ["states"],
        "additionalProperties": False,
        "properties": {
            "states": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"enum": list(EmployeeState.values)},
            }
        },
    }

    def evaluate(self, ctx: EvaluationContext) -> list[Violation]:
        allowed = list(self.params["states"])
        state = ctx.assignment.employee.state
        if state in allowed:
            return []
        return [
            self.violation(
                ctx,
                f"{ctx.employee_name} is {state}; allowed: {', '.join(allowed)}.",
                [w.week_start for w in ctx.employee_weeks],
                allowed=allowed,
                actual=state,
            )
        ]


class ToleranceParams(serializers.Serializer):  # type: ignore[type-arg]
    tolerance = serializers.DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=10)


@register
class PositionCapacity(Kind):
    name = "position_capacity"
    description = "Hours assigned to a position stay within its demand × (1 + tolerance)."
    params_serializer = ToleranceParams
    schema = {
        "type": "object",
        "required": ["tolerance"],
        "additionalProperties": False,
        "properties": {"tolerance": {"type": "number", "minimum": 0, "maximum": 10}},
    }

    def evaluate(self, ctx: EvaluationContext) -> list[Violation]:
        factor = 1 + Decimal(str(self.params["tolerance"]))

        def limit(w: Any) -> Decimal:
            return (w.required * factor).quantize(Decimal("0.01"))

        weeks = ctx.position_weeks
        over, worst = _worst(weeks, lambda w: ctx.position_total(w), limit)
        if not over:
            return []
        actual = ctx.position_total(worst)
        return [
            self.violation(
                ctx,
                f"Position {ctx.assignment.position.code} would have {actual} h assigned in "
                f"{week_label(worst.week_start)}; capacity is {limit(worst)} h.",
                [w.week_start for w in over],
                limit=limit(worst),
                actual=actual,
            )
        ]


class MaxParams(serializers.Serializer):  # type: ignore[type-arg]
    max = serializers.IntegerField(min_value=1, max_value=100)


@register
class MaxConcurrentAssignments(Kind):
    name = "max_concurrent_assignments"
    description = "An employee holds at most `max` approved or active assignments in any week."
    params_serializer = MaxParams
    schema = {
        "type": "object",
        "required": ["max"],
        "additionalProperties": False,
        "properties": {"max": {"type": "integer", "minimum": 1, "maximum": 100}},
    }

    def evaluate(self, ctx: EvaluationContext) -> list[Violation]:
        limit = int(self.params["max"])
        weeks = [w for w in ctx.employee_weeks if ctx.subject_hours(w.week_start) > 0]
        over = [w for w in weeks if w.assignments + 1 > limit]
        if not over:
            return []
        actual = max(w.assignments + 1 for w in over)
        return [
            self.violation(
                ctx,
                f"{ctx.employee_name} would hold {actual} assignments at once; "
                f"the maximum is {limit}.",
                [w.week_start for w in over],
                limit=limit,
                actual=actual,
            )
        ]
