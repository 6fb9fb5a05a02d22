"""The one transition path every lifecycle uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import models, transaction
from rest_framework import exceptions

from apps.core import request_id as request_ids
from apps.core.capture import attributed
from apps.core.codes import ErrorCode
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


def _rules_gate(
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
                "Only HR admins may override business rules.", code=ErrorCode.OVERRIDE_NOT_ALLOWED
            )
        if not reason.strip():
            raise exceptions.ValidationError(
                {"reason": ["A reason is required to override business rules."]},
                code=ErrorCode.REASON_REQUIRED,
            )
        metadata["override"] = True
        metadata["overridden"] = errors
    if warnings:
        metadata["warnings"] = warnings
    return metadata


@attributed
def transition_apply(
    *,
    subject: models.Model,
    transition: str,
    actor: User | AnonymousUser | None,
    reason: str = "",
    override: bool = False,
    metadata: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> tuple[models.Model, TransitionLog]:
    """Run `transition` on `subject` for `actor`, and log it.

    In one transaction: lock the subject's row (after the lifecycle's `lock_first` rows), check
    that the actor may see it (404) and run transitions on it (403), that the transition exists
    (400) and leaves the current state (409), evaluate the business rules (422 unless an HR
    admin overrides with a reason), apply, save, append the hash-chained log row, run the
    lifecycle's side effects; after commit, signal.
    """
    return _transition(
        subject=subject,
        transition=transition,
        actor=actor,
        reason=reason,
        override=override,
        metadata=metadata,
        request_id=request_id,
        guarded=True,
    )


@attributed
def transition_cascade(
    *,
    subject: models.Model,
    transition: str,
    actor: Any,
    reason: str,
    metadata: dict[str, Any] | None = None,
) -> tuple[models.Model, TransitionLog]:
    """Run `transition` as the side effect of another transition that was already authorised
    and checked (an employee's termination ends their assignments): the same lock, state check,
    log and signal, but no visibility, permission or rule checks of its own."""
    return _transition(
        subject=subject,
        transition=transition,
        actor=actor,
        reason=reason,
        override=False,
        metadata=metadata,
        request_id=None,
        guarded=False,
    )


@attributed
def _transition(
    *,
    subject: models.Model,
    transition: str,
    actor: Any,
    reason: str,
    override: bool,
    metadata: dict[str, Any] | None,
    request_id: str | None,
    guarded: bool,
) -> tuple[models.Model, TransitionLog]:
    lifecycle = lifecycle_for(type(subject))
    known = lifecycle.all_transitions()
    if transition not in known:
        raise exceptions.ValidationError(
            {"transition": [f"Unknown transition {transition!r}; known: {', '.join(known)}."]},
            code=ErrorCode.UNKNOWN_TRANSITION,
        )
    with transaction.atomic():
        if lifecycle.lock_first is not None:
            lifecycle.lock_first(subject)
        candidates = (
            lifecycle.visible_to(actor) if guarded else lifecycle.model._default_manager.all()
        )
        locked = candidates.select_for_update(of=("self",)).filter(pk=subject.pk).first()
        if locked is None:
            raise exceptions.NotFound()
        if guarded and not lifecycle.may_transition(actor, locked, transition):
            raise exceptions.PermissionDenied("Your role may not run this transition here.")
        from_state = getattr(locked, lifecycle.state_field)
        getter = getattr(locked, f"get_available_{lifecycle.state_field}_transitions")
        if transition not in {t.name for t in getter()}:
            raise TransitionNotAllowed(
                f"Cannot {transition} from state {from_state!r}.",
                current_state=from_state,
                available=[t.name for t in getter()],
            )
        log = record_change(
            subject=locked,
            name=transition,
            from_state=from_state,
            apply=getattr(locked, transition),
            actor=actor,
            reason=reason,
            override=override,
            guarded_by=transition if guarded else None,
            metadata=metadata,
            request_id=request_id,
        )
    assert log is not None
    return locked, log


@attributed
def record_change(
    *,
    subject: models.Model,
    name: str,
    from_state: str,
    actor: Any,
    reason: str = "",
    override: bool = False,
    guarded_by: str | None,
    apply: Callable[[], Any] | None = None,
    metadata: dict[str, Any] | None = None,
    request_id: str | None = None,
    log_unless_empty: dict[str, Any] | None = None,
    saved: bool = False,
) -> TransitionLog | None:
    """The one way a lifecycle's subject changes, inside the caller's transaction with the
    subject locked (or new): evaluate the rules guarding `guarded_by` (422 unless an HR admin
    overrides with a reason), `apply` the change, save, append the hash-chained log row `name`,
    run the lifecycle's side effects and, after commit, signal. Transitions, creation
    (`propose`) and edits (`update`) all come through here.

    `log_unless_empty`: an edit's facts (what changed); when they are empty and the rules left
    nothing on record either, nothing is logged. `saved`: the caller has saved the change
    already (an edit through apps.core.services.model_update), so it is not saved again.
    """
    lifecycle = lifecycle_for(type(subject))
    log_metadata: dict[str, Any] = dict(metadata or {})
    if guarded_by is not None:
        log_metadata.update(
            _rules_gate(
                violations=evaluate_rules(subject, guarded_by, actor),
                actor=actor,
                override=override,
                reason=reason,
            )
        )
    if apply is not None:
        apply()
    if not saved:
        subject.save()
    if log_unless_empty is not None:
        if not any(log_unless_empty.values()) and not log_metadata:
            return None
        log_metadata = {**log_unless_empty, **log_metadata}
    log = lifecycle.log_model.append(
        subject=subject,
        transition=name,
        from_state=from_state,
        to_state=getattr(subject, lifecycle.state_field),
        actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
        request_id=request_id if request_id is not None else request_ids.get(),
        metadata=log_metadata,
    )
    for effect in lifecycle.side_effects.get(name, []):
        effect(subject, name, actor, log)
    transaction.on_commit(
        partial(
            transition_committed.send,
            sender=type(subject),
            instance=subject,
            transition=name,
            from_state=from_state,
            to_state=log.to_state,
            actor=actor,
            log=log,
        )
    )
    return log
