"""Evaluate the rules that apply to a subject: which rules, in what order, with what facts.

The engine knows no subject: an app registers its model with the context class that loads the
model's facts (`register_subject`, in its AppConfig.ready()), and its kinds with
`apps.business_rules.kinds.register`.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from apps.business_rules.context import RuleContext, Violation
from apps.business_rules.kinds import kinds
from apps.business_rules.models import BusinessRule

_contexts: dict[type[models.Model], type[RuleContext]] = {}


def register_subject(model: type[models.Model], context: type[RuleContext]) -> None:
    """Rules guard `model`'s transitions; `context` holds the facts its kinds read."""
    _contexts[model] = context


def context_for(subject: Any) -> RuleContext | None:
    """The facts about `subject`, or None when no rules guard its kind of subject."""
    context = _contexts.get(type(subject))
    return None if context is None else context(subject)


def applicable_rules(*, scope_path: str, transition: str | None) -> list[BusinessRule]:
    """Enabled rules guarding `transition` (any, when None) whose scope holds `scope_path`."""
    rules = BusinessRule.objects.filter(enabled=True).select_related("scope").order_by("code")
    if transition is not None:
        rules = rules.filter(transitions__contains=[transition])
    return [r for r in rules if r.scope is None or scope_path.startswith(r.scope.path)]


def evaluate(*, subject: Any, transition: str | None) -> list[Violation]:
    """Every violation of the rules that apply to `subject`, errors first. A rule whose kind
    does not read this kind of subject (or is no longer registered) is passed over."""
    context = context_for(subject)
    if context is None:
        return []
    known = kinds()
    violations: list[Violation] = []
    for rule in applicable_rules(scope_path=context.scope_path, transition=transition):
        kind = known.get(rule.kind)
        if kind is not None and isinstance(context, kind.context):
            violations.extend(kind(rule).evaluate(context))
    return sorted(violations, key=lambda v: (v["severity"] != "error", v["rule"]))


def transition_rule_hook(subject: Any, transition: str, actor: Any) -> list[Violation]:
    """The hook the transition path calls before every guarded change of a subject."""
    return evaluate(subject=subject, transition=transition)
