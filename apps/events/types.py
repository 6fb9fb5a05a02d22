"""The catalogue of event types (`coveris.<entity>.<what happened>`), derived from what is
recorded: every captured entity's created/updated/deleted, every lifecycle's transitions, ledger
entries, tag changes and coverage gaps. The database names transitions with the same verbs
(coveris_event_verb, apps/events/migrations/0002_outbox.py; tests hold the two together)."""

from __future__ import annotations

from apps.audit_log.models import EntityType
from apps.fsm.lifecycles import lifecycles

PREFIX = "coveris."
GAP_OPENED = "coveris.coverage.gap_opened"
GAP_CLOSED = "coveris.coverage.gap_closed"

VERBS = {
    "create": "created",
    "update": "updated",
    "delete": "deleted",
    "propose": "proposed",
    "approve": "approved",
    "activate": "activated",
    "end": "ended",
    "cancel": "cancelled",
    "reject": "rejected",
    "start_onboarding": "onboarding_started",
    "start_leave": "leave_started",
    "return_from_leave": "returned_from_leave",
    "suspend": "suspended",
    "reinstate": "reinstated",
    "terminate": "terminated",
    "add": "added",
    "change": "changed",
    "remove": "removed",
    "request": "requested",
}


def verb(transition: str) -> str:
    return VERBS.get(transition, transition)


def event_types() -> list[str]:
    """Every event type this installation emits, sorted."""
    types = {
        f"{PREFIX}{entity}.{verb(a)}"
        for entity in EntityType.values
        for a in ("create", "update", "delete")
    }
    for lifecycle in lifecycles():
        entity = lifecycle.model.audit_tracking.entity_type  # type: ignore[attr-defined]
        for name in (*lifecycle.all_transitions(), *lifecycle.logged_outside):
            types.add(f"{PREFIX}{entity}.{verb(name)}")
    types.add(f"{PREFIX}ledger_entry.created")
    for subject in ("employee", "position"):
        types.update(f"{PREFIX}{subject}.tag_{verb(a)}" for a in ("add", "change", "remove"))
    types.update((GAP_OPENED, GAP_CLOSED))
    return sorted(types)


def matches(pattern: str, event_type: str) -> bool:
    """Whether a subscription's `pattern` (a type, or a prefix ending in `.*`) takes the type."""
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


def unknown(patterns: list[str]) -> list[str]:
    """The patterns that match no event type."""
    known = event_types()
    return [p for p in patterns if not any(matches(p, t) for t in known)]
