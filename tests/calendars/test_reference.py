"""Supply, coverage, the summary, the rules' weekly facts and simulate with working calendars
(DESIGN.md §8, issue 17) equal a slow, day-by-day reference on random small organisations (a
property test over fixed seeds, so that a failure can be replayed).

The organisations have random calendars (0-hour weekdays, weekend work, round-the-clock days)
on random units (some trees with none, some children overriding a parent's), random exceptions
(holidays and closures of 0 h, half days, extra days on a weekend, some on the first and last
day of the range asked for and just outside it), positions that close on holidays or not,
contract and weekly-hours versions that change mid-week, and mid-week starts and ends.

The reference knows nothing of the SQL. It walks every day: a weekly rate `r` delivers `r / 7`
a day without a calendar, `r × hours(day) / N` with one (N the hours of the calendar's normal
week, hours(day) its exception's that day or else its weekday's). Every figure of a week is the
exact sum (`fractions.Fraction`) over its days (and over the positions of a subtree, for the
summary), rounded once to two places, half away from zero.

Leave takes hours off the assignments (DESIGN §11): per employee and week, A (their counted
assignments over every position), S (contract + every ledger entry) and L (minus the leave
entries and the corrections reversing one), each weighted day by day by the employee's
calendar; lost = min(max(A − S, 0), max(L, 0), A), and every assignment of theirs delivers its
hours × (A − lost) / A that week. The worlds get leave where it bites (tests.demand.
test_reference.add_leave: partial weeks, reversals, employees on two positions).

One test per seed and kind of check; each collects every difference (seed, row, field, expected,
got) before failing, so that one run shows the whole picture.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

import pytest

from apps.assignments.models import Assignment
from apps.business_rules.models import BusinessRule
from apps.calendars.models import CalendarDay, WorkCalendar
from apps.calendars.services import calendar_create, calendar_day_create
from apps.demand.models import CoverageRequirement
from apps.demand.selectors import coverage_summary, coverage_weeks
from apps.demand.services import requirement_create
from apps.offer.models import LedgerEntry
from apps.offer.selectors import supply_weeks
from apps.offer.services import ledger_entry_create, ledger_entry_reverse
from apps.org import services as org_services
from apps.org.models import ContractHours, Employee, OrgUnit, Position, WeeklyHours
from apps.reports.weeks import week_label
from tests.demand.test_reference import (
    COUNTED,
    KINDS,
    STATES,
    add_leave,
    covers,
    days,
    is_leave,
    monday,
    random_day,
    random_hours,
    week_days,
)
from tests.factories.assignments import make_assignment, only_rule
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

SEEDS = range(20)
CENT = Decimal("0.01")
ZERO = Fraction(0)
# Day hours a random normal week is made of (0: a day off; 3.33 and 7.75 make N awkward).
DAY_HOURS = ["0", "0", "3.33", "4", "6.5", "7.75", "8", "8", "10", "12", "24"]
EXTRA_HOURS = ["2.25", "5", "8", "11.5"]


# --- random organisations with calendars -------------------------------------------------------


@dataclass
class Proposal:
    """An assignment to simulate (never saved)."""

    employee: Employee
    position: Position
    start: dt.date
    end: dt.date
    hours: Decimal


@dataclass
class World:
    seed: int
    units: list[OrgUnit]
    first: dt.date  # Monday of the first week asked for
    last: dt.date  # Monday of the last week asked for
    excluded: int | None  # a counted assignment to leave out
    proposal: Proposal
    notes: list[str] = field(default_factory=list)  # what the seed built, for failure messages

    @property
    def weeks(self) -> list[dt.date]:
        return weeks_between(self.first, self.last)


def weeks_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def random_week(rng: random.Random) -> list[Decimal]:
    if rng.random() < 0.3:
        return [Decimal(8)] * 5 + [Decimal(0)] * 2
    week = [Decimal(rng.choice(DAY_HOURS)) for _ in range(7)]
    if sum(week) == 0:
        week[rng.randrange(7)] = Decimal("7.5")
    return week


def random_calendar(rng: random.Random, n: int, first: dt.date, last: dt.date) -> WorkCalendar:
    calendar = calendar_create(code=f"cal-{n}", name=f"Calendar {n}", week_hours=random_week(rng))
    lo, hi = first - days(10), last + days(16)
    span = (hi - lo).days
    dates = {lo + days(rng.randrange(span + 1)) for _ in range(rng.randint(3, 14))}
    # The edges of the range asked for, and the days just outside it.
    for edge in (first - days(1), first, last + days(6), last + days(7)):
        if rng.random() < 0.35:
            dates.add(edge)
    taken: set[dt.date] = set()
    for date in sorted(dates):
        kind = rng.choice(["holiday", "holiday", "closure", "half_day", "extra"])
        hours: Decimal | None = None  # the service's default for the kind
        if kind == "extra":
            saturday = date + days(5 - date.weekday())
            if rng.random() < 0.7 and saturday not in taken:
                date = saturday + days(rng.randint(0, 1))  # a Saturday or a Sunday
            hours = Decimal(rng.choice(EXTRA_HOURS)) if rng.random() < 0.6 else None
        elif kind == "half_day" and rng.random() < 0.4:
            hours = Decimal(rng.randint(0, 900)) / 100  # not necessarily half
        if date in taken:
            continue
        taken.add(date)
        calendar_day_create(calendar=calendar, date=date, kind=kind, hours=hours)
    return calendar


def build(seed: int, actor: Any) -> World:
    rng = random.Random(17_000 + seed)
    first = monday(random_day(rng) - days(20))
    last = first + dt.timedelta(weeks=rng.randint(0, 9))
    calendars = [random_calendar(rng, n, first, last) for n in range(rng.randint(1, 3))]
    # Every few seeds calendars exist but no unit names one: today's numbers exactly.
    unused = seed % 6 == 5

    def some_calendar(p: float) -> WorkCalendar | None:
        return None if unused or rng.random() >= p else rng.choice(calendars)

    root = make_unit(calendar=some_calendar(0.7))
    units = [root]
    for _ in range(rng.randint(1, 4)):
        units.append(make_unit(parent=rng.choice(units), calendar=some_calendar(0.45)))
    other = make_unit(calendar=some_calendar(0.4))  # a second tree
    units += [other, make_unit(parent=other, calendar=some_calendar(0.4))]

    positions = []
    for _ in range(rng.randint(2, 5)):
        start = random_day(rng)
        end = None if rng.random() < 0.35 else start + days(rng.randint(0, 60))
        position = make_position(
            rng.choice(units),
            weekly_hours=random_hours(rng, 0, 60),
            start_date=start,
            end_date=end,
            closes_on_holidays=rng.random() < 0.5,
        )
        positions.append(position)
        for _ in range(rng.randint(0, 2)):  # weekly-hours versions, mid-week, and corrections
            valid_from = start + days(rng.randint(0, 50))
            for _ in range(rng.choice([1, 1, 2])):
                org_services.weekly_hours_add(
                    position=position,
                    valid_from=valid_from,
                    hours=random_hours(rng, 0, 60),
                    actor=actor,
                )
        cursor = random_day(rng) - days(30)
        for _ in range(rng.randint(0, 3)):  # requirements, never overlapping each other
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
        employee = make_employee(
            rng.choice(units),
            contract_hours=random_hours(rng, 0, 60),
            hire_date=hire,
            termination_date=termination,
        )
        employees.append(employee)
        for _ in range(rng.randint(0, 2)):
            org_services.contract_hours_add(
                employee=employee,
                valid_from=hire + days(rng.randint(0, 60)),
                hours=random_hours(rng, 0, 60),
                actor=actor,
            )

    for _ in range(rng.randint(2, 10)):
        # Half of them around the weeks asked for; most of them counted.
        start = random_day(rng)
        if rng.random() < 0.5:
            start = first + days(rng.randint(-14, (last - first).days + 7))
        end = None if rng.random() < 0.3 else start + days(rng.randint(0, 40))
        make_assignment(
            rng.choice(employees),
            rng.choice(positions),
            state=rng.choice([*STATES, "approved", "active", "approved", "active"]),
            start=start,
            end=end,
            hours=str(Decimal(rng.randint(1, 6000)) / 100),
        )

    entries = []
    for _ in range(rng.randint(0, 6)):
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

    notes = []
    if not unused and rng.random() < 0.5:
        # A unit changes its calendar after everything was written: the numbers follow.
        moved = rng.choice(units)
        new = rng.choice([None, *calendars])
        org_services.org_unit_update(unit=moved, calendar=new)
        notes.append(f"unit {moved.pk} changed its calendar to {new and new.pk}")

    start = first + days(rng.randint(0, (last - first).days + 6))
    proposal = Proposal(
        employee=rng.choice(employees),
        position=rng.choice(positions),
        start=start,
        end=start + days(rng.randint(0, 24)),
        hours=Decimal(rng.randint(1, 6000)) / 100,
    )
    counted = list(
        Assignment.objects.filter(state__in=COUNTED).order_by("id").values_list("id", flat=True)
    )
    excluded = rng.choice(counted) if counted else None
    # Drawn from a generator of its own, so that everything above is what it was before leave.
    add_leave(random.Random(rng.random()), actor, first, last, positions)
    return World(seed, units, first, last, excluded, proposal, notes)


# --- the reference ----------------------------------------------------------------------------


def round2(x: Fraction) -> Decimal:
    """Rounded once to two places, half away from zero (no negative zero)."""
    cents = math.floor(abs(x) * 100 + Fraction(1, 2))
    return (Decimal(cents if x >= 0 else -cents) / 100).quantize(CENT) + 0


@dataclass(frozen=True)
class Calendar:
    pattern: tuple[Fraction, ...]  # Monday first
    normal: Fraction  # N: the hours of a normal week
    exceptions: dict[dt.date, Fraction]

    def hours(self, day: dt.date) -> Fraction:
        return self.exceptions.get(day, self.pattern[day.weekday()])


def weight(calendar: Calendar | None, day: dt.date) -> Fraction:
    """What a weekly rate of 1 delivers on `day`."""
    return Fraction(1, 7) if calendar is None else calendar.hours(day) / calendar.normal


def lost_weight(calendar: Calendar | None, day: dt.date) -> Fraction:
    """What a weekly rate of 1 does not deliver on `day` because of an exception."""
    if calendar is None:
        return ZERO
    return max(ZERO, calendar.pattern[day.weekday()] - calendar.hours(day)) / calendar.normal


def in_force(versions: list[Any], day: dt.date) -> Fraction:
    """The hours of the version in force on `day`: the latest valid_from on or before it (the
    earliest before any starts), for the same valid_from the latest recorded."""
    started = [v.valid_from for v in versions if v.valid_from <= day]
    valid_from = max(started) if started else min(v.valid_from for v in versions)
    same = [v for v in versions if v.valid_from == valid_from]
    return Fraction(max(same, key=lambda v: (v.recorded_at, v.pk)).hours)


class Reference:
    """Everything the computations read, loaded once, and the day-by-day rule over it."""

    def __init__(self) -> None:
        units = {u.pk: u for u in OrgUnit.objects.all()}
        self.paths = {pk: u.path for pk, u in units.items()}
        calendars = {
            c.pk: Calendar(
                pattern=tuple(Fraction(h) for h in c.week_hours),
                normal=sum((Fraction(h) for h in c.week_hours), ZERO),
                exceptions={},
            )
            for c in WorkCalendar.objects.all()
        }
        for day in CalendarDay.objects.all():
            calendars[day.calendar_id].exceptions[day.date] = Fraction(day.hours)

        def effective(unit_id: int | None) -> Calendar | None:
            while unit_id is not None:
                unit = units[unit_id]
                if unit.calendar_id is not None:
                    return calendars[unit.calendar_id]
                unit_id = unit.parent_id
            return None

        self.unit_calendar = {pk: effective(pk) for pk in units}
        self.employees = sorted(Employee.objects.all(), key=lambda e: e.pk)
        self.positions = sorted(Position.objects.all(), key=lambda p: p.pk)
        self.requirements = list(CoverageRequirement.objects.all())
        self.entries = list(LedgerEntry.objects.all())
        self.entries_by_id = {e.pk: e for e in self.entries}
        self.shares: dict[tuple[int, dt.date, int | None], Fraction] = {}
        self.assignments = [a for a in Assignment.objects.all() if a.state in COUNTED]
        self.contract_versions: dict[int, list[ContractHours]] = {}
        for c in ContractHours.objects.all():
            self.contract_versions.setdefault(c.employee_id, []).append(c)
        self.weekly_versions: dict[int, list[WeeklyHours]] = {}
        for w in WeeklyHours.objects.all():
            self.weekly_versions.setdefault(w.position_id, []).append(w)
        self.employee_calendar = {e.pk: self.unit_calendar[e.org_unit_id] for e in self.employees}

    def counted(self, exclude: int | None) -> list[Assignment]:
        return [a for a in self.assignments if a.pk != exclude]

    # -- supply --

    def supply(self, employee: Employee, ws: dt.date, exclude: int | None) -> dict[str, Any]:
        calendar = self.employee_calendar[employee.pk]
        versions = self.contract_versions.get(employee.pk, [])
        own = [a for a in self.counted(exclude) if a.employee_id == employee.pk]
        contract = ledger = assigned = ZERO
        overlapping = set()
        for day in week_days(ws):
            w = weight(calendar, day)
            if covers(employee.hire_date, employee.termination_date, day):
                rate = in_force(versions, day) if versions else Fraction(employee.contract_hours)
                contract += rate * w
            for entry in self.entries:
                if entry.employee_id == employee.pk and entry.start_date <= day <= entry.end_date:
                    ledger += Fraction(entry.hours_per_week) * w
            for a in own:
                if covers(a.start_date, a.end_date, day):
                    assigned += Fraction(a.weekly_hours) * w
                    overlapping.add(a.pk)
        working = None if calendar is None else sum(map(calendar.hours, week_days(ws)), ZERO)
        c, lg, asg = round2(contract), round2(ledger), round2(assigned)
        return {
            "contract": c,
            "ledger": lg,
            "assigned": asg,
            "assignments": len(overlapping),
            "working_hours": None if working is None else round2(working),
            "supply": c + lg,
            "free": c + lg - asg,
        }

    def supply_rows(
        self,
        first: dt.date,
        last: dt.date,
        employees: Iterable[Employee] | None = None,
        exclude: int | None = None,
    ) -> dict[tuple, dict[str, Any]]:
        return {
            (e.pk, ws): self.supply(e, ws, exclude)
            for e in (self.employees if employees is None else employees)
            for ws in weeks_between(first, last)
        }

    # -- leave --

    def lost_share(self, employee_id: int, ws: dt.date, exclude: int | None) -> Fraction:
        """The share of each of the employee's assigned hours that week that leave keeps from
        being delivered: lost / A, with A, S and L summed day by day by their calendar."""
        key = (employee_id, ws, exclude)
        if key in self.shares:
            return self.shares[key]
        employee = next(e for e in self.employees if e.pk == employee_id)
        calendar = self.employee_calendar[employee_id]
        versions = self.contract_versions.get(employee_id, [])
        own = [a for a in self.counted(exclude) if a.employee_id == employee_id]
        assigned = supply = leave = ZERO
        for day in week_days(ws):
            w = weight(calendar, day)
            if covers(employee.hire_date, employee.termination_date, day):
                rate = in_force(versions, day) if versions else Fraction(employee.contract_hours)
                supply += rate * w
            for entry in self.entries:
                if entry.employee_id == employee_id and entry.start_date <= day <= entry.end_date:
                    supply += Fraction(entry.hours_per_week) * w
                    if is_leave(entry, self.entries_by_id):
                        leave -= Fraction(entry.hours_per_week) * w
            for a in own:
                if covers(a.start_date, a.end_date, day):
                    assigned += Fraction(a.weekly_hours) * w
        lost = min(max(assigned - supply, ZERO), max(leave, ZERO), assigned)
        self.shares[key] = lost / assigned if assigned else ZERO
        return self.shares[key]

    # -- coverage --

    def listed(self, position: Position, first: dt.date, last: dt.date) -> bool:
        """A position has rows when it is open, or has a requirement, on a day of the range."""
        last_day = last + days(6)
        is_open = position.start_date <= last_day and (
            position.end_date is None or position.end_date >= first
        )
        return is_open or any(
            r.position_id == position.pk and r.start_date <= last_day and r.end_date >= first
            for r in self.requirements
        )

    def position_week(
        self, position: Position, ws: dt.date, exclude: int | None
    ) -> tuple[Fraction, Fraction, Fraction, Fraction]:
        """(required, assigned (delivered), holiday hours lost, leave hours lost) of a
        position's week, exact."""
        own_calendar = self.unit_calendar[position.org_unit_id]
        demand_calendar = own_calendar if position.closes_on_holidays else None
        versions = self.weekly_versions.get(position.pk, [])
        requirements = [r for r in self.requirements if r.position_id == position.pk]
        own = [a for a in self.counted(exclude) if a.position_id == position.pk]
        required = assigned = lost = leave = ZERO
        for day in week_days(ws):
            demanding = [r for r in requirements if r.start_date <= day <= r.end_date]
            assert len(demanding) <= 1  # a position's requirements never overlap
            if demanding:
                required += Fraction(demanding[0].required_hours) * weight(demand_calendar, day)
            elif covers(position.start_date, position.end_date, day):
                rate = in_force(versions, day) if versions else Fraction(position.weekly_hours)
                required += rate * weight(demand_calendar, day)
            for a in own:
                if covers(a.start_date, a.end_date, day):
                    calendar = self.employee_calendar[a.employee_id]
                    share = self.lost_share(a.employee_id, ws, exclude)
                    hours = Fraction(a.weekly_hours) * weight(calendar, day)
                    assigned += hours * (1 - share)
                    leave += hours * share
                    lost += Fraction(a.weekly_hours) * lost_weight(calendar, day)
        return required, assigned, lost, leave

    def exact_coverage(
        self, first: dt.date, last: dt.date, exclude: int | None = None
    ) -> dict[tuple, tuple[Fraction, Fraction, Fraction, Fraction]]:
        return {
            (p.pk, ws): self.position_week(p, ws, exclude)
            for p in self.positions
            if self.listed(p, first, last)
            for ws in weeks_between(first, last)
        }

    def coverage_rows(
        self, first: dt.date, last: dt.date, exclude: int | None = None
    ) -> dict[tuple, dict[str, Any]]:
        return {
            key: coverage_fields(*exact)
            for key, exact in self.exact_coverage(first, last, exclude).items()
        }

    def summary_rows(
        self,
        first: dt.date,
        last: dt.date,
        targets: Iterable[OrgUnit],
        scope: list[str] | None = None,
    ) -> dict[tuple, dict[str, Any]]:
        exact = self.exact_coverage(first, last)
        position_path = {p.pk: self.paths[p.org_unit_id] for p in self.positions}
        out = {}
        for unit in targets:
            for ws in weeks_between(first, last):
                req = asg = lost = leave = ZERO
                for (pid, week), (r, a, lo, lv) in exact.items():
                    path = position_path[pid]
                    in_scope = scope is None or any(path.startswith(s) for s in scope)
                    if week == ws and path.startswith(unit.path) and in_scope:
                        req, asg, lost, leave = req + r, asg + a, lost + lo, leave + lv
                out[(unit.pk, ws)] = coverage_fields(req, asg, lost, leave)
        return out

    # -- one unsaved assignment (simulate, the rules' weekly facts) --

    def subject_hours(self, proposal: Proposal, ws: dt.date) -> Decimal:
        calendar = self.employee_calendar[proposal.employee.pk]
        return round2(
            sum(
                (
                    Fraction(proposal.hours) * weight(calendar, day)
                    for day in week_days(ws)
                    if proposal.start <= day <= proposal.end
                ),
                ZERO,
            )
        )


def coverage_fields(
    required: Fraction, assigned: Fraction, lost: Fraction, leave: Fraction
) -> dict[str, Any]:
    req, asg = round2(required), round2(assigned)
    return {
        "required": req,
        "assigned": asg,
        "gap": req - asg,
        "holiday_hours_lost": round2(lost),
        "leave_hours_lost": round2(leave),
    }


# --- comparing, and saying what differs ----------------------------------------------------------


def describe(key: tuple, names: tuple[str, ...]) -> str:
    return ", ".join(f"{n} {k}" for n, k in zip(names, key, strict=True))


class Differences:
    def __init__(self, world: World) -> None:
        self.world = world
        self.lines: list[str] = []

    def compare(
        self,
        what: str,
        got: dict[tuple, dict[str, Any]],
        expected: dict[tuple, dict[str, Any]],
        names: tuple[str, ...] = ("position", "week"),
    ) -> None:
        for key in sorted(set(expected) - set(got)):
            self.lines.append(f"{what}: ({describe(key, names)}) missing")
        for key in sorted(set(got) - set(expected)):
            self.lines.append(f"{what}: ({describe(key, names)}) not expected")
        for key in sorted(set(got) & set(expected)):
            for name, want in expected[key].items():
                have = got[key].get(name, "<absent>")
                if have != want:
                    row = describe(key, names)
                    self.lines.append(f"{what}: ({row}) {name}: expected {want!r}, got {have!r}")

    def order(self, what: str, got: list[tuple], expected: list[tuple]) -> None:
        if got != expected:
            self.lines.append(f"{what}: rows out of order: {got[:6]}... vs {expected[:6]}...")

    def check(self, what: str, got: Any, expected: Any) -> None:
        if got != expected:
            self.lines.append(f"{what}: expected {expected!r}, got {got!r}")

    def assert_none(self) -> None:
        w = self.world
        head = f"seed {w.seed}: weeks {w.first}..{w.last}, excluded {w.excluded}" + (
            f", {'; '.join(w.notes)}" if w.notes else ""
        )
        shown = self.lines[:60]
        more = len(self.lines) - len(shown)
        if self.lines:
            pytest.fail(
                "\n".join([head, *shown, *([f"... and {more} more"] if more else [])]),
                pytrace=False,
            )


def supply_got(rows: list[Any]) -> dict[tuple, dict[str, Any]]:
    return {
        (r.employee, r.week_start): {
            "contract": r.contract,
            "ledger": r.ledger,
            "assigned": r.assigned,
            "assignments": r.assignments,
            "working_hours": getattr(r, "working_hours", "<absent>"),
            "supply": r.supply,
            "free": r.free,
        }
        for r in rows
    }


def coverage_got(rows: list[Any]) -> dict[tuple, dict[str, Any]]:
    return {
        (r.key, r.week_start): {
            "required": r.required,
            "assigned": r.assigned,
            "gap": r.gap,
            "holiday_hours_lost": getattr(r, "holiday_hours_lost", "<absent>"),
            "leave_hours_lost": getattr(r, "leave_hours_lost", "<absent>"),
        }
        for r in rows
    }


def as_strings(rows: dict[tuple, dict[str, Any]], drop: Iterable[str] = ()) -> dict:
    """The expected rows as the API writes them: (id, "YYYY-MM-DD") → strings with 2 places."""
    return {
        (key, str(ws)): {
            name: (None if v is None else f"{v:.2f}")
            for name, v in fields.items()
            if name not in drop
        }
        for (key, ws), fields in rows.items()
    }


def ratio_of(required: Decimal, assigned: Decimal) -> Decimal | None:
    if required == 0:
        return None
    return (assigned / required).quantize(Decimal("0.0001"), ROUND_HALF_UP)


# --- the properties ---------------------------------------------------------------------------


@pytest.fixture(params=SEEDS, ids=[f"seed{s}" for s in SEEDS])
def world(request, admin_user) -> World:
    return build(request.param, admin_user)


def test_selectors_equal_the_reference(world):
    ref = Reference()
    diff = Differences(world)
    first, last = world.first, world.last

    rows = supply_weeks(first=first, last=last)
    diff.order(
        "supply_weeks",
        [(r.employee, r.week_start) for r in rows],
        list(ref.supply_rows(first, last)),
    )
    diff.compare(
        "supply_weeks", supply_got(rows), ref.supply_rows(first, last), ("employee", "week")
    )

    root = world.units[0]
    in_root = [e for e in ref.employees if ref.paths[e.org_unit_id].startswith(root.path)]
    rows = supply_weeks(
        first=first, last=last, unit_paths=[root.path], exclude_assignment=world.excluded
    )
    diff.compare(
        f"supply_weeks(subtree {root.pk}, exclude {world.excluded})",
        supply_got(rows),
        ref.supply_rows(first, last, in_root, exclude=world.excluded),
        ("employee", "week"),
    )

    rows = coverage_weeks(first=first, last=last)
    diff.order(
        "coverage_weeks",
        [(r.key, r.week_start) for r in rows],
        sorted(ref.coverage_rows(first, last)),
    )
    diff.compare("coverage_weeks", coverage_got(rows), ref.coverage_rows(first, last))
    for row in rows:
        diff.check(
            f"coverage_weeks ratio ({row.key}, {row.week_start})",
            row.ratio,
            ratio_of(row.required, row.assigned),
        )

    rows = coverage_weeks(first=first, last=last, exclude_assignment=world.excluded)
    diff.compare(
        f"coverage_weeks(exclude {world.excluded})",
        coverage_got(rows),
        ref.coverage_rows(first, last, exclude=world.excluded),
    )

    rows = coverage_summary(first=first, last=last, targets=world.units)
    diff.check("coverage_summary row count", len(rows), len(world.units) * len(world.weeks))
    diff.compare(
        "coverage_summary",
        coverage_got(rows),
        ref.summary_rows(first, last, world.units),
        ("unit", "week"),
    )

    scoped = world.units[1]
    rows = coverage_summary(
        first=first, last=last, targets=[root, scoped], unit_paths=[scoped.path]
    )
    diff.compare(
        f"coverage_summary(scope {scoped.pk})",
        coverage_got(rows),
        ref.summary_rows(first, last, [root, scoped], scope=[scoped.path]),
        ("unit", "week"),
    )
    diff.assert_none()


def api_rows(client: Any, url: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every row of a paginated report, page by page."""
    rows: list[dict[str, Any]] = []
    page = 1
    while True:
        response = client.get(url, {**params, "page": str(page)})
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        if not body.get("next"):
            assert body["count"] == len(rows)
            return rows
        page += 1


def test_apis_equal_the_reference(world, as_admin):
    ref = Reference()
    diff = Differences(world)
    rng = random.Random(world.seed)
    # Dates inside the first and last weeks, not their Mondays.
    since = rng.randint(0, 6)
    until = rng.randint(since if world.first == world.last else 0, 6)
    params = {
        "from": str(world.first + days(since)),
        "to": str(world.last + days(until)),
        "page_size": "40",
    }
    first, last = world.first, world.last

    got = {
        (r["employee"], r["week_start"]): {k: r.get(k, "<absent>") for k in SUPPLY_API}
        for r in api_rows(as_admin, "/api/v1/supply/", params)
    }
    diff.compare(
        "GET supply/",
        got,
        as_strings(ref.supply_rows(first, last), ["assignments"]),
        ("employee", "week"),
    )

    got = {
        (r["position"], r["week_start"]): {k: r.get(k, "<absent>") for k in COVERAGE_API}
        for r in api_rows(as_admin, "/api/v1/coverage/", params)
    }
    diff.compare("GET coverage/", got, as_strings(ref.coverage_rows(first, last)))

    got = {
        (r["org_unit"], r["week_start"]): {k: r.get(k, "<absent>") for k in COVERAGE_API}
        for r in api_rows(as_admin, "/api/v1/coverage/summary/", {**params, "depth": "5"})
    }
    units = list(OrgUnit.objects.all())
    diff.compare(
        "GET coverage/summary/",
        got,
        as_strings(ref.summary_rows(first, last, units)),
        ("unit", "week"),
    )

    for position in ref.positions[:2]:
        response = as_admin.get(f"/api/v1/positions/{position.pk}/")
        assert response.status_code == 200, response.content
        diff.check(
            f"GET positions/{position.pk}/ closes_on_holidays",
            response.json().get("closes_on_holidays", "<absent>"),
            position.closes_on_holidays,
        )
    diff.assert_none()


SUPPLY_API = ("contract", "ledger", "supply", "assigned", "free", "working_hours")
COVERAGE_API = ("required", "assigned", "gap", "holiday_hours_lost", "leave_hours_lost")


def test_simulate_and_the_rules_weekly_facts_equal_the_reference(world, as_admin):
    """POST assignments/simulate/ for an unsaved assignment: per week the position's required
    and assigned hours before and after, the employee's supply and free hours before and after,
    and the facts of max_weekly_hours (error) and no_overcommit (warning)."""
    ref = Reference()
    diff = Differences(world)
    p = world.proposal
    first, last = monday(p.start), monday(p.end)
    weeks = weeks_between(first, last)
    subject = {ws: ref.subject_hours(p, ws) for ws in weeks}

    position_exact = {
        ws: ref.position_week(p.position, ws, None)
        if ref.listed(p.position, first, last)
        else (ZERO, ZERO, ZERO, ZERO)
        for ws in weeks
    }
    expected_coverage = []
    for ws in weeks:
        required, before = round2(position_exact[ws][0]), round2(position_exact[ws][1])
        after = before + subject[ws]
        expected_coverage.append(
            {
                "week": week_label(ws),
                "week_start": str(ws),
                "required": f"{required:.2f}",
                "assigned_before": f"{before:.2f}",
                "assigned_after": f"{after:.2f}",
                "gap_before": f"{required - before:.2f}",
                "gap_after": f"{required - after:.2f}",
            }
        )
    supply = {ws: ref.supply(p.employee, ws, None) for ws in weeks}
    expected_supply = []
    totals = {}
    for ws in weeks:
        s, before = supply[ws]["supply"], supply[ws]["assigned"]
        totals[ws] = before + subject[ws]
        expected_supply.append(
            {
                "week": week_label(ws),
                "week_start": str(ws),
                "supply": f"{s:.2f}",
                "assigned_before": f"{before:.2f}",
                "assigned_after": f"{totals[ws]:.2f}",
                "free_before": f"{s - before:.2f}",
                "free_after": f"{s - totals[ws]:.2f}",
            }
        )

    # A limit some weeks are over and some (often) not; "over" is strictly above.
    rng = random.Random(world.seed)
    limit = max(Decimal(0), rng.choice(list(totals.values())) - rng.choice([0, CENT]))
    limit = min(limit, Decimal(168))
    only_rule("cal-max", "max_weekly_hours", {"max_hours": str(limit)})
    BusinessRule.objects.create(
        code="cal-over",
        name="cal-over",
        kind="no_overcommit",
        params={},
        severity="warning",
        transitions=["approve"],
    )

    response = as_admin.post(
        "/api/v1/assignments/simulate/",
        {
            "employee": p.employee.pk,
            "position": p.position.pk,
            "start_date": str(p.start),
            "end_date": str(p.end),
            "weekly_hours": str(p.hours),
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    diff.compare(
        "simulate coverage",
        {(r["week_start"],): r for r in body["coverage"]},
        {(r["week_start"],): r for r in expected_coverage},
        ("week",),
    )
    diff.compare(
        "simulate supply",
        {(r["week_start"],): r for r in body["supply"]},
        {(r["week_start"],): r for r in expected_supply},
        ("week",),
    )
    diff.check("simulate total_hours", body["total_hours"], f"{sum(subject.values()):.2f}")

    violations = {v["rule"]: v for v in body["violations"]}
    limits = {
        "cal-max": dict.fromkeys(weeks, limit),
        "cal-over": {ws: supply[ws]["supply"] for ws in weeks},
    }
    for code, limit_of in limits.items():
        over = [ws for ws in weeks if totals[ws] > limit_of[ws]]
        if not over:
            diff.check(f"simulate violation {code}", violations.get(code), None)
            continue
        worst = max(over, key=lambda ws: totals[ws] - limit_of[ws])
        got = violations.get(code, {})
        diff.check(f"simulate {code} weeks", got.get("weeks"), [week_label(w) for w in over])
        diff.check(
            f"simulate {code} facts",
            got.get("facts"),
            {"limit": f"{limit_of[worst]:.2f}", "actual": f"{totals[worst]:.2f}"},
        )
    diff.assert_none()
