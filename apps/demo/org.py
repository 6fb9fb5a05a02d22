"""Demo organisation for `manage.py seed_demo`: nested units, positions, employees in every
state with their (hash-chained) transition history. Idempotent and bulk-written."""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.demo.clock import transition_rows
from apps.demo.copy import copy_create
from apps.demo.lanes import Lanes, Tally
from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.states import EmployeeState as S
from apps.org.models import ContractHours, Employee, OrgUnit, Position, WeeklyHours

# How an employee reaches each state from candidate.
PATH_TO_STATE: dict[str, list[tuple[str, str]]] = {
    S.CANDIDATE: [],
    S.ONBOARDING: [("start_onboarding", S.ONBOARDING)],
    S.ACTIVE: [("start_onboarding", S.ONBOARDING), ("activate", S.ACTIVE)],
    S.ON_LEAVE: [
        ("start_onboarding", S.ONBOARDING),
        ("activate", S.ACTIVE),
        ("start_leave", S.ON_LEAVE),
    ],
    S.SUSPENDED: [
        ("start_onboarding", S.ONBOARDING),
        ("activate", S.ACTIVE),
        ("suspend", S.SUSPENDED),
    ],
    S.TERMINATED: [
        ("start_onboarding", S.ONBOARDING),
        ("activate", S.ACTIVE),
        ("terminate", S.TERMINATED),
    ],
}
STATE_WEIGHTS = {
    S.ACTIVE: 70,
    S.ON_LEAVE: 7,
    S.SUSPENDED: 3,
    S.ONBOARDING: 6,
    S.CANDIDATE: 6,
    S.TERMINATED: 8,
}
FIRST = [
    "Ada",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farah",
    "Goran",
    "Hana",
    "Ivo",
    "Jana",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoë",
]
LAST = [
    "Andersen",
    "Baptiste",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "García",
    "Horvat",
    "Ibrahim",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quist",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ulrich",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zeller",
]
UNIT_NAMES = [
    "Operations",
    "Care",
    "Logistics",
    "Finance",
    "Engineering",
    "Sales",
    "Support",
    "Facilities",
    "Research",
    "Training",
    "Quality",
    "Security",
]
TITLES = [
    "Nurse",
    "Technician",
    "Planner",
    "Analyst",
    "Coordinator",
    "Driver",
    "Engineer",
    "Advisor",
    "Clerk",
    "Supervisor",
    "Specialist",
    "Assistant",
]
HOURS = [
    Decimal("40.00"),
    Decimal("38.00"),
    Decimal("36.00"),
    Decimal("32.00"),
    Decimal("24.00"),
    Decimal("20.00"),
]
BATCH = 2000

Progress = Callable[[str], None]


def _units(count: int, say: Progress) -> list[OrgUnit]:
    """Root, then divisions, then departments (breadth-first), `count` units in all."""
    existing = {u.code: u for u in OrgUnit.objects.filter(code__startswith="OU")}
    units: list[OrgUnit] = []
    parents: list[OrgUnit | None] = [None]
    index = 0
    level = 0
    while len(units) < count:
        next_parents: list[OrgUnit | None] = []
        fresh: list[OrgUnit] = []
        width = 1 if level == 0 else max(2, min(6, count // 3))
        for parent in parents:
            for _ in range(width):
                if len(units) + len(fresh) >= count:
                    break
                index += 1
                code = f"OU{index:04d}"
                unit = existing.get(code)
                if unit is None:
                    name = (
                        "Coveris Demo Org"
                        if index == 1
                        else (f"{UNIT_NAMES[index % len(UNIT_NAMES)]} {index}")
                    )
                    unit = OrgUnit(code=code, name=name, parent=parent)
                    fresh.append(unit)
                units.append(unit)
                next_parents.append(unit)
        OrgUnit.objects.bulk_create(fresh)
        for unit in fresh:
            unit.path = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
        OrgUnit.objects.bulk_update(fresh, ["path"])
        parents, level = next_parents, level + 1
    say(f"  org units: {len(units)} ({len(units) - len(existing)} new)")
    return units


def _positions(
    count: int, units: list[OrgUnit], rng: random.Random, say: Progress, lanes: int
) -> None:
    existing = set(Position.objects.filter(code__startswith="P").values_list("code", flat=True))
    leaves = units[1:] or units
    fresh = []
    for i in range(1, count + 1):
        code = f"P{i:05d}"
        if code in existing:
            continue
        start = dt.date(2025, 1, 6) + dt.timedelta(weeks=rng.randint(0, 70))
        end = start + dt.timedelta(weeks=rng.randint(26, 104)) if rng.random() < 0.2 else None
        fresh.append(
            Position(
                code=code,
                title=f"{TITLES[i % len(TITLES)]} {i}",
                org_unit=leaves[i % len(leaves)],
                weekly_hours=rng.choice(HOURS),
                start_date=start,
                end_date=end,
            )
        )

    def write(chunk: list[Position]) -> None:
        copy_create(Position, chunk)
        # Each position's first weekly-hours version, as position_create writes it.
        copy_create(
            WeeklyHours,
            [WeeklyHours(position=p, valid_from=p.start_date, hours=p.weekly_hours) for p in chunk],
        )

    with Lanes(lanes) as pool:
        for n, first in enumerate(range(0, len(fresh), BATCH)):
            pool.submit(n, functools.partial(write, fresh[first : first + BATCH]))
    say(f"  positions: {count} ({len(fresh)} new)")


def _history(
    employee: Employee, actor_id: int | None, hire: dt.date
) -> list[EmployeeTransitionLog]:
    at = timezone.make_aware(dt.datetime.combine(hire, dt.time(9, 0)), dt.UTC)
    chain = []
    state: str = S.CANDIDATE
    for name, target in PATH_TO_STATE[employee.state]:
        at += dt.timedelta(days=7)
        chain.append((name, state, target, at))
        state = target
    return transition_rows(
        EmployeeTransitionLog, subject_id=employee.pk, steps=chain, actor_id=actor_id
    )


def _employees(
    count: int,
    units: list[OrgUnit],
    rng: random.Random,
    actor_id: int | None,
    say: Progress,
    lanes: int,
) -> None:
    existing = set(
        Employee.objects.filter(employee_number__startswith="E").values_list(
            "employee_number", flat=True
        )
    )
    states = list(STATE_WEIGHTS)
    weights = list(STATE_WEIGHTS.values())
    fresh: list[dict[str, Any]] = []
    for i in range(1, count + 1):
        number = f"E{i:06d}"
        if number in existing:
            continue
        # The first employees cover every state, so a small demo still shows them all.
        state = states[i - 1] if i <= len(states) else rng.choices(states, weights)[0]
        hire = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randint(0, 900))
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
        fresh.append(
            {
                "employee_number": number,
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}.{i}@demo.coveris.test".encode(
                    "ascii", "ignore"
                ).decode(),
                "org_unit": units[i % len(units)],
                "contract_hours": rng.choice(HOURS),
                "hire_date": hire,
                "termination_date": hire + dt.timedelta(days=120)
                if state == S.TERMINATED
                else None,
                "state": state,
            }
        )
    tally = Tally(say, "  employees: {done}/{total} new, {rows} history rows", len(fresh))

    def write(values: list[dict[str, Any]]) -> None:
        chunk = copy_create(Employee, [Employee(**v) for v in values])
        # Each employee's first contract-hours version, as employee_create writes it.
        copy_create(
            ContractHours,
            [
                ContractHours(employee=e, valid_from=e.hire_date, hours=e.contract_hours)
                for e in chunk
            ],
        )
        rows = [row for e in chunk for row in _history(e, actor_id, e.hire_date)]
        copy_create(EmployeeTransitionLog, rows)
        tally.add(len(chunk), len(rows))

    with Lanes(lanes) as pool:
        for n, start in enumerate(range(0, len(fresh), BATCH)):
            pool.submit(n, functools.partial(write, fresh[start : start + BATCH]))
    if not fresh:
        say(f"  employees: {count} (0 new)")


def seed_org(
    *,
    employees: int,
    positions: int,
    org_units: int,
    users: dict[str, Any],
    say: Progress,
    seed: int = 7,
    lanes: int = 1,
) -> None:
    """Create the missing part of the demo organisation: the units in one transaction, then the
    positions (each with its weekly hours) and the employees (each with its contract hours and
    history) in chunks of their own on `lanes` connections (apps/demo/lanes.py)."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    admin = users.get("admin")
    with transaction.atomic():
        units = _units(max(1, org_units), say)
    _positions(positions, units, rng, say, lanes)
    _employees(employees, units, rng, admin.pk if admin else None, say, lanes)
    manager = users.get("manager")
    if manager is not None and not manager.scope.exists() and len(units) > 1:
        manager.scope.add(units[1])
    person = users.get("employee")
    if person is not None and not Employee.objects.filter(user=person).exists():
        own = Employee.objects.filter(state=S.ACTIVE, user__isnull=True).order_by("id").first()
        if own is not None:
            Employee.objects.filter(pk=own.pk).update(user=person)
