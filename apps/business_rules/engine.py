"""Evaluate the rules that apply to an assignment: which rules, in what order, with what facts."""

from __future__ import annotations

from typing import Any

from apps.business_rules.context import EvaluationContext, Violation
from apps.business_rules.kinds import kinds
from apps.business_rules.models import BusinessRule


def applicable_rules(*, assignment: Any, transition: str | None) -> list[BusinessRule]:
    """Enabled rules guarding `transition` (any, when None) whose scope holds the position."""
    rules = BusinessRule.objects.filter(enabled=True).select_related("scope").order_by("code")
    if transition is not None:
        rules = rules.filter(transitions__contains=[transition])
    path = assignment.position.org_unit.path
    return [r for r in rules if r.scope is None or path.startswith(r.scope.path)]


def evaluate(*, assignment: Any, transition: str | None) -> list[Violation]:
    """Every violation of the applicable rules, errors first."""
    context = EvaluationContext(assignment)
    known = kinds()
    violations: list[Violation] = []
    for rule in applicable_rules(assignment=assignment, transition=transition):
        kind = known.get(rule.kind)
        if kind is not None:
            violations.extend(kind(rule).evaluate(context))
    return sorted(violations, key=lambda v: (v["severity"] != "error", v["rule"]))


def transition_rule_hook(subject: Any, transition: str, actor: Any) -> list[Violation]:
    """The hook the transition path calls: rules guard assignment transitions."""
    from apps.assignments.models import Assignment

    if not isinstance(subject, Assignment):
        return []
    return evaluate(assignment=subject, transition=transition)
