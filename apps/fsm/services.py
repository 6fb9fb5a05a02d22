"""The one transition path every lifecycle uses."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from rest_framework import exceptions

from apps.core import request_id as request_ids
from apps.fsm.exceptions import RuleViolation, TransitionNotAllowed
from apps.fsm.lifecycles import evaluate_rules, lifecycle_for
from apps.fsm.models import TransitionLog
from apps.fsm.signals import transition_committed
from apps.users.models import User


def available_transitions(
    *, subject: models.Model, actor: User | AnonymousUser
) -> list[dict[str, str]]:
    """The transitions `actor` may run on `subject` now, as [{"name", "target"}]."""
    lifecycle = lifecycle_for(type(subject))
    getter = getattr(subject, f"get_available_{lifecycle.state_field}_transitions")
    return [
        {"name": t.name, "target": t.target}
        for t in getter()
        if lifecycle.may_transition(actor, subject, t.name)
    ]


def rules_gate(
    *,
    violations: list[dict[str, Any]],
    actor: User | AnonymousUser | None,
    override: bool,
    reason: str,
) -> dict[str, Any]:
    """Errors block (422) unless an HR admin overrides with a reason; returns the log metadata
    (the overridden errors, the warnings that passed)."""
    errors = [v for v in violations if v.get("severity") == "error"]
    warnings = [v for v in violations if v.get("severity") != "error"]
    metadata: dict[str, Any] = {}
    if errors:
        if not override:
            raise RuleViolation(errors + warnings)
        if not getattr(actor, "is_admin", False):
            raise exceptions.PermissionDenied(
                "Only HR admins may override business rules.", code="override_not_allowed"
            )
        if not reason.strip():
            raise exceptions.ValidationError(
                {"reason": ["A reason is required to override business rules."]},
                code="reason_required",
            )
        metadata["override"] = True
        metadata["overridden"] = errors
    if warnings:
        metadata["warnings"] = warnings
    return metadata


def transition_apply(
    *,
    subject: models.Model,
    transition: str,
    actor: User | AnonymousUser | None,
    reason: str = "",
    override: bool = False,
    metadata: dict[str, Any] | None = None,
    request_id: str | None = None,
    enforce: bool = True,
) -> tuple[models.Model, TransitionLog]:
    """Run `transition` on `subject` for `actor`, and log it.

    In one transaction: lock the subject's row (after the lifecycle's `lock_first` rows), check
    that the actor may see it (404) and run transitions on it (403), that the transition exists
    (400) and leaves the current state (409),
    evaluate the business rules (422 unless an HR admin overrides with a reason), apply, save,
    append the hash-chained log row, run the lifecycle's side effects; after commit, signal.
    `enforce=False` is for side effects of another transition (already authorised): no
    visibility, permission or rule checks, but the same lock, state check and log.
    """
    lifecycle = lifecycle_for(type(subject))
    known = lifecycle.all_transitions()
    if transition not in known:
        raise exceptions.ValidationError(
            {"transition": [f"Unknown transition {transition!r}; known: {', '.join(known)}."]},
            code="unknown_transition",
        )
    with transaction.atomic():
        if lifecycle.lock_first is not None:
            lifecycle.lock_first(subject)
        candidates = (
            lifecycle.visible_to(actor) if enforce else lifecycle.model._default_manager.all()
        )
        locked = candidates.select_for_update(of=("self",)).filter(pk=subject.pk).first()
        if locked is None:
            raise exceptions.NotFound()
        if enforce and not lifecycle.may_transition(actor, locked, transition):
            raise exceptions.PermissionDenied("Your role may not run this transition here.")
        from_state = getattr(locked, lifecycle.state_field)
        getter = getattr(locked, f"get_available_{lifecycle.state_field}_transitions")
        if transition not in {t.name for t in getter()}:
            raise TransitionNotAllowed(
                f"Cannot {transition} from state {from_state!r}.",
                current_state=from_state,
                available=[t.name for t in getter()],
            )

        log_metadata: dict[str, Any] = dict(metadata or {})
        if enforce:
            log_metadata.update(
                rules_gate(
                    violations=evaluate_rules(locked, transition, actor),
                    actor=actor,
                    override=override,
                    reason=reason,
                )
            )

        getattr(locked, transition)()
        locked.save()
        log = lifecycle.log_model.append(
            subject=locked,
            transition=transition,
            from_state=from_state,
            to_state=getattr(locked, lifecycle.state_field),
            actor=actor if getattr(actor, "pk", None) else None,
            reason=reason,
            request_id=request_id if request_id is not None else request_ids.get(),
            metadata=log_metadata,
        )
        for effect in lifecycle.side_effects.get(transition, []):
            effect(locked, transition, actor, log)
        transaction.on_commit(
            partial(
                transition_committed.send,
                sender=type(locked),
                instance=locked,
                transition=transition,
                from_state=from_state,
                to_state=log.to_state,
                actor=actor,
                log=log,
            )
        )
    return locked, log  # type: ignore[return-value]
