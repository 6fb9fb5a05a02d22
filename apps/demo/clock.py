"""The demo's history: hash-chained log rows, recorded in the past."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from apps.core.capture import GENESIS

# Rows are recorded at least this long before the seed runs, so that whatever a user does
# right after comes later in every chain and heads the audit stream.
MARGIN = dt.timedelta(minutes=5)


def recorded(at: dt.datetime) -> dt.datetime:
    """`at`, or a moment just before now when `at` lies ahead."""
    return min(at, timezone.now() - MARGIN)


def transition_rows(
    log_model: type[Any],
    *,
    subject_id: int,
    steps: list[tuple[str, str, str, dt.datetime]],
    actor_id: int | None,
) -> list[Any]:
    """The chained log rows of one demo subject's transitions, `(name, from, to, at)` each."""
    rows = []
    prev = GENESIS
    for name, from_state, to_state, at in steps:
        row = log_model(
            subject_id=subject_id,
            transition=name,
            from_state=from_state,
            to_state=to_state,
            actor_id=actor_id,
            at=recorded(at),
            reason="demo data",
            request_id="seed_demo",
            metadata={},
            prev_hash=prev,
        )
        row.hash = row.compute_hash()
        rows.append(row)
        prev = row.hash
    return rows
