"""Coverage and supply equal a slow, day-by-day reference implementation on random small
organisations (a property test over fixed seeds, so that a failure can be replayed).

The reference is deliberately naive: it walks every day of every week and asks, for that day,
which requirement, position, contract, ledger entry and assignment applies. A week's hours are
the exact sum of the day rates, divided by 7 once and rounded once to two places, half away from
zero (PostgreSQL's numeric ROUND).

Leave takes hours off the assignments (DESIGN §11): per employee and week, A (their counted
assignments over every position), S (contract + every ledger entry) and L (minus the leave
entries and the corrections reversing one) are summed day by day; lost = min(max(A − S, 0),
max(L, 0), A), and each assignment delivers its hours × (A − lost) / A, exactly (fractions).
The worlds get leave, partial weeks of it, reversals of it and employees on two positions, so
that the cap bites in most of them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest

from apps.assignments.models import Assignment
from apps.demand.models import CoverageRequirement
from apps.demand.selectors import coverage_summary, coverage_weeks
from apps.demand.services import requirement_create
from apps.offer.models import LedgerEntry, LedgerKind
from apps.offer.selectors import supply_weeks
from apps.offer.services import ledger_entry_create, ledger_entry_reverse
from apps.org.models import Employee, OrgUnit, Position
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

SEEDS = range(25)
BASE = dt.date(2026, 3, 2)  # a Monday (2026-W10)
COUNTED = {"approved", "active"}
STATES = ["proposed", "approved", "active", "ended", "cancelled", "rejected"]
KINDS = ["leave", "extra_availability", "adjustment"]
CENT = Decimal("0.01")
RATIO = Decimal("0.0001")


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def monday(day: dt.date) -> dt.date:
    return day - days(day.weekday())


# --- random organisations ---------------------------------------------------------------------


def random_day(rng: random.Random) -> dt.date:
    return BASE + days(rng.randint(-40, 90))


def random_hours(rng: random.Random, low: int, high: int) -> Decimal:
    """A rate with two places, often not a multiple of 7 (so rounding matters)."""
    return Decimal(rng.randint(low * 100, high * 100)) / 100


@dataclass
class World:
    units: list[OrgUnit]
    first: dt.date  # Monday of the first week asked for
    last: dt.date  # Monday of the last week asked for
    excluded: int | None  # a counted assignment to leave out ("what if it did not exist")


def build(rng: random.Random, actor: Any) -> World:
    """A small organisation with every kind of record the computations read."""
    root = make_unit()
    units = [root]
    for _ in range(rng.randint(1, 4)):
        units.append(make_unit(parent=rng.choice(units)))
    other = make_unit()  # a second tree: never counted in the first one's roll-up
    units += [other, make_unit(parent=other)]

    positions = []
    for _ in range(rng.randint(2, 5)):
        start = random_day(rng)
        end = None if rng.random() < 0.35 else start + days(rng.randint(0, 60))
        position = make_position(
            rng.choice(units),
            weekly_hours=random_hours(rng, 0, 60),
            start_date=start,
            end_date=end,
        )
        positions.append(position)
        # Requirements anywhere around the position's life (also on days it is not open),
        # never overlapping each other.
        cursor = random_day(rng) - days(30)
        for _ in range(rng.randint(0, 3)):
            req_start = cursor + days(rng.randint(0, 20))
            req_end = req_start + days(rng.randint(0, 25))
            requirement_create(
                position=position,
                start_date=req_start,
                end_date=req_end,
                required_hours=random_hours(rng, 0, 100),
            )
            cursor = req_end + days(1)

    employees = []
    for _ in range(rng.randint(1, 4)):
        hire = random_day(rng) - days(20)
        termination = None if rng.random() < 0.4 else hire + days(rng.randint(0, 70))
        employees.append(
            make_employee(
                rng.choice(units),
                contract_hours=random_hours(rng, 0, 60),
                hire_date=hire,
                termination_date=termination,
            )
        )

    for _ in range(rng.randint(0, 10)):
        start = random_day(rng)
        end = None if rng.random() < 0.3 else start + days(rng.randint(0, 40))
        make_assignment(
            rng.choice(employees),
            rng.choice(positions),
            state=rng.choice(STATES),
            start=start,
            end=end,
            hours=str(Decimal(rng.randint(1, 6000)) / 100),
        )

    entries = []
    for _ in range(rng.randint(0, 8)):
        start = random_day(rng)
        entries.append(
            ledger_entry_create(
                employee=rng.choice(employees),
                kind=rng.choice(KINDS),
                start_date=start,
                end_date=start + days(rng.randint(0, 30)),
                hours_per_week=rng.choice([-1, 1]) * Decimal(rng.randint(1, 6000)) / 100,
                actor=actor,
            )
        )
    for entry in entries:
        if rng.random() < 0.3:
            ledger_entry_reverse(entry=entry, actor=actor)

    first = monday(random_day(rng) - days(20))
    last = first + dt.timedelta(weeks=rng.randint(0, 11))
    counted = list(
        Assignment.objects.filter(state__in=COUNTED).order_by("id").values_list("id", flat=True)
    )
    excluded = rng.choice(counted) if counted else None
    # Drawn from a generator of its own, so that everything above is what it was before leave.
    add_leave(random.Random(rng.random()), actor, first, last, positions)
    return World(units, first, last, excluded)


def add_leave(
    rng: random.Random, actor: Any, first: dt.date, last: dt.date, positions: list[Position]
) -> None:
    """Leave where it bites: for some employees with a counted assignment in the weeks asked
    for, a second position (often), then leave entries over a few days or weeks from any
    weekday, from a few hours to more than the whole supply, some of them reversed."""
    counted = list(
        Assignment.objects.filter(state__in=COUNTED, start_date__lte=last + days(6))
        .exclude(end_date__lt=first)
        .select_related("employee")
    )
    if not counted:  # someone to be on leave from
        employee = rng.choice(list(Employee.objects.all()))
        start = first + days(rng.randint(0, (last - first).days + 6))
        counted.append(
            make_assignment(
                employee,
                rng.choice(positions),
                state="approved",
                start=start,
                end=start + days(rng.randint(3, 30)),
                hours=str(Decimal(rng.randint(1000, 5000)) / 100),
            )
        )
    rng.shuffle(counted)
    for a in counted[: rng.randint(1, 3)]:
        employee = a.employee
        lo, hi = max(a.start_date, first), min(a.end_date or last + days(6), last + days(6))
        if rng.random() < 0.6 and len(positions) > 1:
            other = rng.choice([p for p in positions if p.pk != a.position_id])
            make_assignment(
                employee,
                other,
                state=rng.choice(["approved", "active"]),
                start=lo - days(rng.randint(0, 10)),
                end=None if rng.random() < 0.3 else hi + days(rng.randint(0, 10)),
                hours=str(Decimal(rng.randint(100, 3000)) / 100),
            )
        for _ in range(rng.randint(1, 2)):
            start = lo + days(rng.randint(0, max(0, (hi - lo).days)))
            contract = employee.contract_hours
            hours = rng.choice(
                [
                    Decimal(rng.randint(100, 2000)) / 100,  # a few hours off
                    contract,  # the contract's week off
                    min(Decimal(168), contract + Decimal(rng.randint(100, 4000)) / 100),
                    min(Decimal(168), contract + Decimal(rng.randint(100, 4000)) / 100),
                ]
            )
            entry = ledger_entry_create(
                employee=employee,
                kind=LedgerKind.LEAVE,
                start_date=start,
                end_date=start + days(rng.choice([0, 2, 4, 6, 9, 13, 20])),
                hours_per_week=-max(hours, Decimal("0.01")),
                actor=actor,
            )
            if rng.random() < 0.25:
                ledger_entry_reverse(entry=entry, actor=actor)


# --- the reference --------------------------------------------------------------------------


def covers(start: dt.date, end: dt.date | None, day: dt.date) -> bool:
    return start <= day and (end is None or day <= end)


def week_days(ws: dt.date) -> list[dt.date]:
    return [ws + days(i) for i in range(7)]


def weeks_of(world: World) -> list[dt.date]:
    return [
        world.first + dt.timedelta(weeks=i) for i in range((world.last - world.first).days // 7 + 1)
    ]


def hours(rate_days: Decimal) -> Decimal:
    """Σ rate × days → hours of the week: divided by 7 once, rounded once, half up
    (+ 0: PostgreSQL's numeric has no negative zero)."""
    return (rate_days / 7).quantize(CENT, rounding=ROUND_HALF_UP) + 0


def ratio(required: Decimal, assigned: Decimal) -> Decimal | None:
    return None if required == 0 else (assigned / required).quantize(RATIO, ROUND_HALF_UP)


def listed(
    position: Position, requirements: list[CoverageRequirement], first: dt.date, last_day: dt.date
) -> bool:
    """A position has rows when it is open, or has a requirement, on a day of the range."""
    is_open = position.start_date <= last_day and (
        position.end_date is None or position.end_date >= first
    )
    return is_open or any(
        r.position_id == position.pk and r.start_date <= last_day and r.end_date >= first
        for r in requirements
    )


def is_leave(entry: LedgerEntry, entries: dict[int, LedgerEntry]) -> bool:
    """A leave entry, or the correction that reverses one."""
    if entry.kind == "leave":
        return True
    reversed_entry = entries.get(entry.reverses_id) if entry.reverses_id else None
    return entry.kind == "correction" and getattr(reversed_entry, "kind", None) == "leave"


def lost_shares(world: World, exclude: int | None = None) -> dict[tuple[int, dt.date], Fraction]:
    """{(employee, week start): the share of each of the employee's assigned hours that week
    that leave keeps from being delivered (lost / A)}, day by day, for every employee-week."""
    entries = {e.pk: e for e in LedgerEntry.objects.all()}
    assignments = [a for a in Assignment.objects.all() if a.state in COUNTED and a.pk != exclude]
    shares = {}
    for employee in Employee.objects.all():
        own_entries = [e for e in entries.values() if e.employee_id == employee.pk]
        own_assignments = [a for a in assignments if a.employee_id == employee.pk]
        for ws in weeks_of(world):
            assigned = supply = leave = Fraction(0)  # rate × days, like every week figure here
            for day in week_days(ws):
                if covers(employee.hire_date, employee.termination_date, day):
                    supply += Fraction(employee.contract_hours)
                for entry in own_entries:
                    if entry.start_date <= day <= entry.end_date:
                        supply += Fraction(entry.hours_per_week)
                        if is_leave(entry, entries):
                            leave -= Fraction(entry.hours_per_week)
                for a in own_assignments:
                    if covers(a.start_date, a.end_date, day):
                        assigned += Fraction(a.weekly_hours)
            lost = min(max(assigned - supply, Fraction(0)), max(leave, Fraction(0)), assigned)
            shares[(employee.pk, ws)] = lost / assigned if assigned else Fraction(0)
    return shares


def reference_position_weeks(world: World, exclude: int | None = None) -> dict[tuple, tuple]:
    """{(position id, week start): (required × 7, delivered × 7, lost to leave × 7)} for the
    listed positions."""
    last_day = world.last + days(6)
    requirements = list(CoverageRequirement.objects.all())
    assignments = [a for a in Assignment.objects.all() if a.state in COUNTED and a.pk != exclude]
    shares = lost_shares(world, exclude)
    out: dict[tuple, tuple] = {}
    for position in Position.objects.all():
        if not listed(position, requirements, world.first, last_day):
            continue
        own_requirements = [r for r in requirements if r.position_id == position.pk]
        own_assignments = [a for a in assignments if a.position_id == position.pk]
        for ws in weeks_of(world):
            required = assigned = lost = Fraction(0)
            for day in week_days(ws):
                demanding = [r for r in own_requirements if r.start_date <= day <= r.end_date]
                assert len(demanding) <= 1  # requirements of a position never overlap
                if demanding:
                    required += Fraction(demanding[0].required_hours)
                elif covers(position.start_date, position.end_date, day):
                    required += Fraction(position.weekly_hours)
                for a in own_assignments:
                    if covers(a.start_date, a.end_date, day):
                        share = shares[(a.employee_id, ws)]
                        assigned += Fraction(a.weekly_hours) * (1 - share)
                        lost += Fraction(a.weekly_hours) * share
            out[(position.pk, ws)] = (required, assigned, lost)
    return out


def exact_hours(rate_days: Fraction) -> Decimal:
    """Σ rate × days (exact) → hours of the week, divided by 7 and rounded once, half away
    from zero."""
    x = rate_days / 7
    cents = math.floor(abs(x) * 100 + Fraction(1, 2))
    return (Decimal(cents if x >= 0 else -cents) / 100).quantize(CENT) + 0


def reference_coverage(world: World, exclude: int | None = None) -> list[tuple]:
    """(position, week, required, assigned, leave hours lost) per listed position-week."""
    return [
        (key, ws, exact_hours(req), exact_hours(asg), exact_hours(lost))
        for (key, ws), (req, asg, lost) in sorted(reference_position_weeks(world, exclude).items())
    ]


def reference_summary(
    world: World, targets: list[OrgUnit], scope: list[str] | None = None
) -> dict[tuple, tuple]:
    """{(unit id, week start): (required, assigned, leave hours lost)} summed over the subtree,
    then rounded."""
    per_position = reference_position_weeks(world)
    path_of = {p.pk: p.org_unit.path for p in Position.objects.select_related("org_unit")}
    out = {}
    for unit in targets:
        for ws in weeks_of(world):
            required = assigned = lost = Fraction(0)
            for (position_id, week), (req, asg, lo) in per_position.items():
                path = path_of[position_id]
                in_scope = scope is None or any(path.startswith(s) for s in scope)
                if week == ws and path.startswith(unit.path) and in_scope:
                    required += req
                    assigned += asg
                    lost += lo
            out[(unit.pk, ws)] = (exact_hours(required), exact_hours(assigned), exact_hours(lost))
    return out


def reference_supply(
    world: World, employees: list[Employee], exclude: int | None = None
) -> list[tuple]:
    """(employee, week, contract, ledger, assigned, assignments overlapping) per employee-week."""
    entries = list(LedgerEntry.objects.all())
    assignments = [a for a in Assignment.objects.all() if a.state in COUNTED and a.pk != exclude]
    rows = []
    for employee in sorted(employees, key=lambda e: e.pk):
        own_entries = [e for e in entries if e.employee_id == employee.pk]
        own_assignments = [a for a in assignments if a.employee_id == employee.pk]
        for ws in weeks_of(world):
            contract = ledger = assigned = Decimal(0)
            overlapping = set()
            for day in week_days(ws):
                if covers(employee.hire_date, employee.termination_date, day):
                    contract += employee.contract_hours
                for entry in own_entries:
                    if entry.start_date <= day <= entry.end_date:
                        ledger += entry.hours_per_week
                for a in own_assignments:
                    if covers(a.start_date, a.end_date, day):
                        assigned += a.weekly_hours
                        overlapping.add(a.pk)
            rows.append(
                (employee.pk, ws, hours(contract), hours(ledger), hours(assigned), len(overlapping))
            )
    return rows


# --- the properties ------------------------------------------------------------------------


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def world(request, admin_user) -> World:
    return build(random.Random(request.param), admin_user)


def coverage_tuples(rows: list[Any]) -> list[tuple]:
    return [(r.key, r.week_start, r.required, r.assigned, r.leave_hours_lost) for r in rows]


def test_coverage_equals_reference(world):
    rows = coverage_weeks(first=world.first, last=world.last)
    expected = reference_coverage(world)
    assert coverage_tuples(rows) == expected
    for row in rows:
        assert row.gap == row.required - row.assigned
        assert row.ratio == ratio(row.required, row.assigned)


def test_coverage_without_one_assignment_equals_reference(world):
    rows = coverage_weeks(first=world.first, last=world.last, exclude_assignment=world.excluded)
    expected = reference_coverage(world, exclude=world.excluded)
    assert coverage_tuples(rows) == expected


def test_summary_equals_reference_for_every_subtree(world):
    rows = coverage_summary(first=world.first, last=world.last, targets=world.units)
    got = {(r.key, r.week_start): (r.required, r.assigned, r.leave_hours_lost) for r in rows}
    assert len(rows) == len(world.units) * len(weeks_of(world))
    assert got == reference_summary(world, world.units)


def test_scoped_summary_counts_only_positions_in_scope(world):
    root, scoped = world.units[0], world.units[1]
    rows = coverage_summary(
        first=world.first, last=world.last, targets=[root, scoped], unit_paths=[scoped.path]
    )
    got = {(r.key, r.week_start): (r.required, r.assigned, r.leave_hours_lost) for r in rows}
    assert got == reference_summary(world, [root, scoped], scope=[scoped.path])


def test_supply_equals_reference(world):
    rows = supply_weeks(first=world.first, last=world.last)
    expected = reference_supply(world, list(Employee.objects.all()))
    assert [
        (r.employee, r.week_start, r.contract, r.ledger, r.assigned, r.assignments) for r in rows
    ] == expected
    for row in rows:
        assert row.supply == row.contract + row.ledger
        assert row.free == row.supply - row.assigned


def test_supply_of_a_subtree_without_one_assignment_equals_reference(world):
    root = world.units[0]
    rows = supply_weeks(
        first=world.first,
        last=world.last,
        unit_paths=[root.path],
        exclude_assignment=world.excluded,
    )
    employees = list(Employee.objects.filter(org_unit__path__startswith=root.path))
    expected = reference_supply(world, employees, exclude=world.excluded)
    assert [
        (r.employee, r.week_start, r.contract, r.ledger, r.assigned, r.assignments) for r in rows
    ] == expected


# --- the same through the API (dates inside the weeks, not Mondays) -------------------------


def _dates(world: World, seed_offset: int) -> dict[str, str]:
    rng = random.Random(1000 + seed_offset)
    return {
        "from": str(world.first + days(rng.randint(0, 6))),
        "to": str(world.last + days(rng.randint(0, 6))),
        "page_size": "100",
    }


def test_coverage_api_equals_reference(world, as_admin):
    response = as_admin.get("/api/v1/coverage/", _dates(world, world.first.toordinal()))
    assert response.status_code == 200, response.content
    body = response.json()
    expected = reference_coverage(world)
    assert body["count"] == len(expected)
    assert [
        (
            r["position"],
            r["week_start"],
            r["required"],
            r["assigned"],
            r["gap"],
            r["leave_hours_lost"],
        )
        for r in body["results"]
    ] == [
        (k, str(ws), f"{req}", f"{asg}", f"{req - asg}", f"{lost}")
        for k, ws, req, asg, lost in expected
    ]


def test_summary_api_equals_reference(world, as_admin):
    params = {**_dates(world, world.last.toordinal()), "depth": "5"}
    response = as_admin.get("/api/v1/coverage/summary/", params)
    assert response.status_code == 200, response.content
    body = response.json()
    units = list(OrgUnit.objects.all())
    expected = reference_summary(world, units)
    assert body["count"] == len(expected)
    got = {
        (r["org_unit"], r["week_start"]): (r["required"], r["assigned"], r["leave_hours_lost"])
        for r in body["results"]
    }
    assert got == {
        (key, str(ws)): (f"{req}", f"{asg}", f"{lost}")
        for (key, ws), (req, asg, lost) in expected.items()
    }


def test_supply_api_equals_reference(world, as_admin):
    response = as_admin.get("/api/v1/supply/", _dates(world, 7))
    assert response.status_code == 200, response.content
    body = response.json()
    expected = reference_supply(world, list(Employee.objects.all()))
    assert body["count"] == len(expected)
    assert [
        (r["employee"], r["week_start"], r["contract"], r["ledger"], r["assigned"], r["free"])
        for r in body["results"]
    ] == [(e, str(ws), f"{c}", f"{lg}", f"{a}", f"{c + lg - a}") for e, ws, c, lg, a, _ in expected]
