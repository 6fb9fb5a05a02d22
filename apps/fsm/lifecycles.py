"""The registry of lifecycles: what the one transition path needs to know about each subject."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models

from apps.fsm.models import TransitionLog
from apps.users.models import User

# (subject, transition name, actor) -> violations: the business-rule hook, set by the rules app.
RuleHook = Callable[[Any, str, User | AnonymousUser | None], list[dict[str, Any]]]
# (subject, transition name, actor, log row) -> None: work done in the same transaction.
SideEffect = Callable[[Any, str, User | AnonymousUser | None, TransitionLog], None]


@dataclass
class Lifecycle:
    """How one model goes through transitions."""

    model: type[models.Model]
    log_model: type[TransitionLog]
    # The subjects an actor may see; a subject outside it is "not found" (404) for them.
    visible_to: Callable[[Any], models.QuerySet[Any]]
    # Whether an actor may run a transition (by name) on a visible subject (403 otherwise).
    may_transition: Callable[[Any, Any, str], bool]
    state_field: str = "state"
    side_effects: dict[str, list[SideEffect]] = field(default_factory=dict)
    # Rows locked before the subject's, in the transaction of every transition: e.g. an
    # assignment's employee, whose other assignments the rules read (no write skew between two
    # approvals), in the order a termination takes them (employee, then assignments).
    lock_first: Callable[[Any], None] | None = None
    # Log rows written outside the state machine (an assignment's creation is `propose`).
    logged_outside: tuple[str, ...] = ()

    def on(self, transition: str, effect: SideEffect) -> None:
        """Run `effect` inside the transaction after `transition` is applied and logged."""
        self.side_effects.setdefault(transition, []).append(effect)

    def all_transitions(self) -> dict[str, str]:
        """Every transition name with its target state."""
        state_field: Any = self.model._meta.get_field(self.state_field)
        return {t.name: t.target for t in state_field.get_all_transitions(self.model)}


_lifecycles: dict[type[models.Model], Lifecycle] = {}
_rule_hooks: list[RuleHook] = []


def register(lifecycle: Lifecycle) -> Lifecycle:
    """Make a lifecycle known to the transition path."""
    _lifecycles[lifecycle.model] = lifecycle
    return lifecycle


def lifecycles() -> list[Lifecycle]:
    """Every registered lifecycle."""
    return list(_lifecycles.values())


def lifecycle_for(model: type[models.Model]) -> Lifecycle:
    """The lifecycle registered for `model`."""
    return _lifecycles[model]


def register_rule_hook(hook: RuleHook) -> None:
    """Business rules evaluated before every transition (no hook: no rules)."""
    if hook not in _rule_hooks:
        _rule_hooks.append(hook)


def evaluate_rules(
    subject: Any, transition: str, actor: User | AnonymousUser | None
) -> list[dict[str, Any]]:
    """Violations from every registered hook."""
    violations: list[dict[str, Any]] = []
    for hook in _rule_hooks:
        violations.extend(hook(subject, transition, actor))
    return violations
