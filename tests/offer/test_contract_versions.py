"""Supply's contract hours with several contract-hours versions (DESIGN.md §7) equal a plain,
day-by-day reference: on each day of employment the version in force counts (the latest
`valid_from` on or before the day, the latest recorded for the same `valid_from`; the first
version before any starts), a week being the sum of the day rates / 7, rounded once."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from apps.offer.selectors import supply_weeks
from apps.org import services
from apps.org.models import ContractHours, Employee
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

D = Decimal
FIRST = dt.date(2026, 2, 16)  # Monday of W08
LAST = dt.date(2026, 6, 15)  # Monday of W25


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def in_force(versions: list[ContractHours], day: dt.date) -> Decimal:
    """The hours of the version in force on `day`, found the slow way."""
    started = [v for v in versions if v.valid_from <= day]
    pool = started or [min(versions, key=lambda v: v.valid_from)]
    latest_from = max(v.valid_from for v in pool) if started else pool[0].valid_from
    same_day = [v for v in versions if v.valid_from == latest_from]
    return max(same_day, key=lambda v: (v.recorded_at, v.pk)).hours


def reference_contract(employee: Employee, monday: dt.date) -> Decimal:
    versions = list(ContractHours.objects.filter(employee=employee))
    total = D(0)
    for i in range(7):
        day = monday + days(i)
        employed = employee.hire_date <= day and (
            employee.termination_date is None or day <= employee.termination_date
        )
        if employed:
            total += in_force(versions, day)
    return (total / 7).quantize(D("0.01"), ROUND_HALF_UP)


def add(employee: Employee, valid_from: dt.date, hours: str) -> None:
    services.contract_hours_add(
        employee=employee, valid_from=valid_from, hours=D(hours), actor=None
    )


@pytest.fixture
def staff(admin_user) -> list[Employee]:
    unit = make_unit()
    # Hired on a Wednesday; changes mid-week, on a Monday, on a Sunday, a correction of the
    # same valid_from, zero hours, a scheduled change and a termination mid-week.
    ann = make_employee(unit, hire_date=dt.date(2026, 3, 4), contract_hours=D("40"))
    add(ann, dt.date(2026, 3, 19), "30")
    add(ann, dt.date(2026, 4, 6), "25")
    add(ann, dt.date(2026, 4, 6), "27.50")  # the correction wins
    add(ann, dt.date(2026, 4, 26), "0")
    add(ann, dt.date(2026, 5, 13), "19.99")
    ann = services.employee_update(employee=ann, termination_date=dt.date(2026, 5, 27))
    # The hire date moved later after the versions were written: the days of the first
    # version before it are not employment and do not count.
    bob = make_employee(unit, hire_date=dt.date(2026, 3, 4), contract_hours=D("37.50"))
    add(bob, dt.date(2026, 3, 12), "12.34")
    bob = services.employee_update(employee=bob, hire_date=dt.date(2026, 3, 10))
    # The hire date moved earlier: the first version covers the days before its valid_from.
    cy = make_employee(unit, hire_date=dt.date(2026, 3, 4), contract_hours=D("20"))
    add(cy, dt.date(2026, 4, 1), "35")
    cy = services.employee_update(employee=cy, hire_date=dt.date(2026, 2, 25))
    # Hired in the future, with a change before the first week it works.
    dee = make_employee(unit, hire_date=dt.date(2026, 6, 3), contract_hours=D("16"))
    add(dee, dt.date(2026, 6, 9), "24")
    return [ann, bob, cy, dee]


def test_supply_contract_equals_the_day_by_day_reference(staff, as_admin):
    response = as_admin.get(
        "/api/v1/supply/",
        {"from": FIRST.isoformat(), "to": LAST.isoformat(), "page_size": 100},
    )
    assert response.status_code == 200, response.content
    got = {(r["employee"], r["week_start"]): r for r in response.json()["results"]}
    mondays = [FIRST + days(7 * i) for i in range((LAST - FIRST).days // 7 + 1)]
    assert len(got) == len(staff) * len(mondays)
    for employee in staff:
        for monday in mondays:
            row = got[(employee.pk, monday.isoformat())]
            expected = reference_contract(employee, monday)
            assert (row["contract"], row["supply"]) == (f"{expected:.2f}", f"{expected:.2f}"), (
                employee.employee_number,
                monday,
            )


def test_a_week_with_a_mid_week_change(staff):
    ann = staff[0]
    (week,) = supply_weeks(
        first=dt.date(2026, 3, 16), last=dt.date(2026, 3, 16), employee_ids=[ann.pk]
    )
    # W12: Mon-Wed 40 h, Thu-Sun 30 h: (3 × 40 + 4 × 30) / 7 = 34.29
    assert week.contract == D("34.29")


def test_free_hours_use_the_version_in_force(staff):
    ann = staff[0]
    position = make_position(make_unit(), start_date=dt.date(2026, 3, 2))
    make_assignment(
        ann,
        position,
        start=dt.date(2026, 4, 6),
        end=dt.date(2026, 4, 12),
        hours="20.00",
        state="approved",
    )
    (week,) = supply_weeks(
        first=dt.date(2026, 4, 6), last=dt.date(2026, 4, 6), employee_ids=[ann.pk]
    )
    assert (week.contract, week.assigned, week.free) == (D("27.50"), D("20.00"), D("7.50"))
