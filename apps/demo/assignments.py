"""Demo assignments (every state, with hash-chained history), ledger entries and coverage
requirements for `manage.py seed_demo`; bulk-written, idempotent by count."""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.core.capture import GENESIS
from apps.demand.models import CoverageRequirement
from apps.demo.clock import recorded, transition_rows
from apps.demo.copy import copy_create
from apps.demo.lanes import Lanes, Tally
from apps.fsm.states import AssignmentState as A
from apps.fsm.states import EmployeeState as E
from apps.offer.models import LedgerEntry, LedgerKind
from apps.org.models import Employee, Position

BATCH = 2000
PATHS: dict[str, list[tuple[str, str]]] = {
    A.PROPOSED: [],
    A.APPROVED: [("approve", A.APPROVED)],
    A.ACTIVE: [("approve", A.APPROVED), ("activate", A.ACTIVE)],
    A.ENDED: [("approve", A.APPROVED), ("activate", A.ACTIVE), ("end", A.ENDED)],
    A.CANCELLED: [("cancel", A.CANCELLED)],
    A.REJECTED: [("reject", A.REJECTED)],
}
WEIGHTS = {A.ACTIVE: 45, A.APPROVED: 25, A.PROPOSED: 10, A.ENDED: 10, A.CANCELLED: 5, A.REJECTED: 5}
HOURS = [Decimal(h) for h in ("8.00", "12.00", "16.00", "20.00", "24.00")]
Progress = Callable[[str], None]


def _at(day: dt.date, offset_days: int) -> dt.datetime:
    """When a demo row was recorded: `offset_days` from `day`, but never in the future (a
    planned assignment or leave is recorded before it starts, not on its date)."""
    at = timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)), dt.UTC)
    return recorded(at + dt.timedelta(days=offset_days))


def _history(assignment: Assignment, actor_id: int | None) -> list[AssignmentTransitionLog]:
    steps = [("propose", A.PROPOSED), *PATHS[assignment.state]]
    chain = []
    state = ""
    for offset, (name, target) in enumerate(steps):
        chain.append((name, state, target, _at(assignment.start_date, offset - len(steps))))
        state = target
    return transition_rows(
        AssignmentTransitionLog, subject_id=assignment.pk, steps=chain, actor_id=actor_id
    )


def seed_assignments(
    *, count: int, rng: random.Random, actor_id: int | None, say: Progress, lanes: int = 1
) -> None:
    """Create assignments until there are `count`, in every state, with their history."""
    missing = count - Assignment.objects.count()
    if missing <= 0:
        say(f"  assignments: {count} (0 new)")
        return
    employees = list(
        Employee.objects.exclude(state=E.CANDIDATE).values_list("id", "state", "hire_date")
    )
    positions = list(Position.objects.values_list("id", "start_date", "end_date"))
    if not employees or not positions:
        say("  assignments: none (no employees or positions)")
        return
    states, weights = list(WEIGHTS), list(WEIGHTS.values())
    tally = Tally(say, "  assignments: {done}/{total} new, {rows} history rows", missing)

    def write(values: list[dict[str, Any]]) -> None:
        batch = copy_create(Assignment, [Assignment(**v) for v in values])
        logs = [row for a in batch for row in _history(a, actor_id)]
        copy_create(AssignmentTransitionLog, logs)
        tally.add(len(batch), len(logs))

    created = 0
    with Lanes(lanes) as pool:
        while created < missing:
            batch: list[dict[str, Any]] = []
            for i in range(min(BATCH, missing - created)):
                employee_id, employee_state, hire = rng.choice(employees)
                position_id, p_start, p_end = rng.choice(positions)
                n = created + i
                state = states[n] if n < len(states) else rng.choices(states, weights)[0]
                if employee_state == E.TERMINATED and state in (A.ACTIVE, A.APPROVED, A.PROPOSED):
                    state = A.ENDED
                start = max(p_start, hire) + dt.timedelta(days=rng.randint(0, 120))
                end = start + dt.timedelta(weeks=rng.randint(8, 60)) if rng.random() < 0.6 else None
                if p_end is not None:
                    end = min(end or p_end, p_end)
                    start = min(start, end)
                if state == A.ENDED and end is None:
                    end = start + dt.timedelta(weeks=12)
                batch.append(
                    {
                        "employee_id": employee_id,
                        "position_id": position_id,
                        "start_date": start,
                        "end_date": end,
                        "weekly_hours": rng.choice(HOURS),
                        "state": state,
                        "created_by_id": actor_id,
                    }
                )
            pool.submit(created // BATCH, functools.partial(write, batch))
            created += len(batch)


def seed_ledger(
    *, count: int, rng: random.Random, actor_id: int | None, say: Progress, lanes: int = 1
) -> None:
    """Create ledger entries (leave, extra availability, adjustments) until there are `count`,
    each employee's entries hash-chained (and written on the employee's lane, in order)."""
    missing = count - LedgerEntry.objects.count()
    if missing <= 0:
        say(f"  ledger entries: {count} (0 new)")
        return
    employees = list(Employee.objects.values_list("id", "hire_date"))
    heads = dict(
        LedgerEntry.objects.order_by("employee_id", "-id")
        .distinct("employee_id")
        .values_list("employee_id", "hash")
    )
    kinds = [
        (LedgerKind.LEAVE, -1),
        (LedgerKind.EXTRA_AVAILABILITY, 1),
        (LedgerKind.ADJUSTMENT, -1),
    ]
    tally = Tally(say, "  ledger entries: {done}/{total} new", missing)

    def write(batch: list[LedgerEntry]) -> None:
        copy_create(LedgerEntry, batch)
        tally.add(len(batch))

    created = 0
    with Lanes(lanes) as pool:
        while created < missing:
            by_lane: list[list[LedgerEntry]] = [[] for _ in range(pool.count)]
            for _ in range(min(BATCH, missing - created)):
                employee_id, hire = rng.choice(employees)
                kind, sign = rng.choice(kinds)
                start = hire + dt.timedelta(days=rng.randint(0, 700))
                end = start + dt.timedelta(days=rng.randint(0, 20))
                hours = Decimal(rng.choice(["4.00", "8.00", "16.00", "40.00"])) * sign
                entry = LedgerEntry(
                    employee_id=employee_id,
                    kind=kind,
                    start_date=start,
                    end_date=end,
                    hours_per_week=hours,
                    note="demo data",
                    actor_id=actor_id,
                    at=_at(start, -7),
                    reason="",
                    request_id="seed_demo",
                    metadata={},
                    prev_hash=heads.get(employee_id, GENESIS),
                )
                entry.hash = entry.compute_hash()
                heads[employee_id] = entry.hash
                by_lane[employee_id % pool.count].append(entry)
                created += 1
            for lane, batch in enumerate(by_lane):
                if batch:
                    pool.submit(lane, functools.partial(write, batch))


def seed_requirements(*, share: float, rng: random.Random, say: Progress) -> None:
    """Give a share of the positions a temporary requirement (busy season)."""
    if CoverageRequirement.objects.exists():
        say("  coverage requirements: present (0 new)")
        return
    positions = list(Position.objects.values_list("id", "start_date", "weekly_hours"))
    chosen = rng.sample(positions, k=int(len(positions) * share))
    rows = [
        CoverageRequirement(
            position_id=pid,
            start_date=start + dt.timedelta(weeks=4),
            end_date=start + dt.timedelta(weeks=rng.randint(5, 16)),
            required_hours=(hours * Decimal("1.5")).quantize(Decimal("0.01")),
        )
        for pid, start, hours in chosen
    ]
    CoverageRequirement.objects.bulk_create(rows, batch_size=BATCH)
    say(f"  coverage requirements: {len(rows)} new")


def seed_work(
    *,
    assignments: int,
    ledger: int,
    users: dict[str, Any],
    say: Progress,
    seed: int = 11,
    lanes: int = 1,
) -> None:
    """Assignments, ledger entries and requirements for the demo organisation."""
    rng = random.Random(seed + Assignment.objects.count())  # noqa: S311 - demo data
    admin = users.get("admin")
    actor_id = admin.pk if admin else None
    seed_requirements(share=0.1, rng=rng, say=say)
    seed_assignments(count=assignments, rng=rng, actor_id=actor_id, say=say, lanes=lanes)
    seed_ledger(count=ledger, rng=rng, actor_id=actor_id, say=say, lanes=lanes)
