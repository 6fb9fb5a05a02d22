"""Coverage and supply: pro-rata edges, requirements, reversal, CSV, query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.demand.selectors import coverage_summary, coverage_weeks
from apps.demand.services import requirement_create
from apps.offer.selectors import supply_weeks
from apps.offer.services import ledger_entry_create, ledger_entry_reverse
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db
W10 = dt.date(2026, 3, 2)  # Monday of 2026-W10
D = Decimal


def by_week(rows):
    return {r.week_start: r for r in rows}


@pytest.fixture
def unit():
    return make_unit()


def test_assignment_starting_mid_week_counts_pro_rata(unit, admin_user):
    position = make_position(unit, weekly_hours=D("40"), start_date=W10)
    employee = make_employee(unit, hire_date=dt.date(2025, 1, 6))
    # Starts Thursday: 4 of 7 days of 35 h = 20 h.
    make_assignment(
        employee, position, state="approved", start=W10 + dt.timedelta(days=3), hours="35.00"
    )
    rows = by_week(
        coverage_weeks(first=W10, last=W10 + dt.timedelta(weeks=1), position_ids=[position.pk])
    )
    assert rows[W10].assigned == D("20.00")
    assert rows[W10].required == D("40.00")
    assert rows[W10].gap == D("20.00")
    assert rows[W10].ratio == D("0.5000")
    assert rows[W10 + dt.timedelta(weeks=1)].assigned == D("35.00")


def test_proposed_and_cancelled_assignments_do_not_count(unit):
    position = make_position(unit, start_date=W10)
    employee = make_employee(unit)
    make_assignment(employee, position, state="proposed", start=W10)
    make_assignment(employee, position, state="cancelled", start=W10)
    [row] = coverage_weeks(first=W10, last=W10, position_ids=[position.pk])
    assert row.assigned == D("0.00")


def test_employment_ending_mid_week_reduces_supply(unit):
    # Employed until Tuesday: 2 of 7 days of 35 h = 10 h.
    employee = make_employee(
        unit,
        contract_hours=D("35"),
        hire_date=dt.date(2025, 1, 6),
        termination_date=W10 + dt.timedelta(days=1),
    )
    rows = by_week(
        supply_weeks(first=W10, last=W10 + dt.timedelta(weeks=1), employee_ids=[employee.pk])
    )
    assert rows[W10].contract == D("10.00")
    assert rows[W10 + dt.timedelta(weeks=1)].contract == D("0.00")


def test_leave_over_a_week_boundary_and_its_reversal(unit, admin_user):
    employee = make_employee(unit, contract_hours=D("40"), hire_date=dt.date(2025, 1, 6))
    # Leave Friday W10 to Tuesday W11: 3 days in W10, 2 days in W11, at 40 h/week.
    leave = ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=W10 + dt.timedelta(days=4),
        end_date=W10 + dt.timedelta(days=8),
        hours_per_week=D("-40"),
        actor=admin_user,
    )
    rows = by_week(
        supply_weeks(first=W10, last=W10 + dt.timedelta(weeks=1), employee_ids=[employee.pk])
    )
    assert rows[W10].ledger == D("-17.14")
    assert rows[W10].supply == D("22.86")
    assert rows[W10 + dt.timedelta(weeks=1)].ledger == D("-11.43")
    ledger_entry_reverse(entry=leave, actor=admin_user)
    rows = by_week(
        supply_weeks(first=W10, last=W10 + dt.timedelta(weeks=1), employee_ids=[employee.pk])
    )
    assert rows[W10].supply == D("40.00")
    assert rows[W10 + dt.timedelta(weeks=1)].supply == D("40.00")


def test_requirement_overrides_weekly_hours_for_its_days(unit):
    position = make_position(unit, weekly_hours=D("40"), start_date=W10)
    # Wednesday to Sunday of W10 (5 days) demand 70 h/week: 2/7·40 + 5/7·70 = 61.43.
    requirement_create(
        position=position,
        start_date=W10 + dt.timedelta(days=2),
        end_date=W10 + dt.timedelta(days=6),
        required_hours=D("70"),
    )
    rows = by_week(
        coverage_weeks(first=W10, last=W10 + dt.timedelta(weeks=1), position_ids=[position.pk])
    )
    assert rows[W10].required == D("61.43")
    assert rows[W10 + dt.timedelta(weeks=1)].required == D("40.00")


def test_summary_rolls_up_subtrees(admin_user):
    root = make_unit()
    child = make_unit(parent=root)
    other = make_unit()
    make_position(root, weekly_hours=D("10"), start_date=W10)
    make_position(child, weekly_hours=D("20"), start_date=W10)
    make_position(other, weekly_hours=D("40"), start_date=W10)
    rows = {
        (r.key, r.week_start): r
        for r in coverage_summary(first=W10, last=W10, targets=[root, child])
    }
    assert rows[(root.pk, W10)].required == D("30.00")
    assert rows[(child.pk, W10)].required == D("20.00")


def test_query_counts_do_not_grow_with_weeks_or_positions(unit):
    employee = make_employee(unit)

    def count(positions: int, weeks: int) -> int:
        created = [make_position(unit, start_date=W10) for _ in range(positions)]
        for position in created[:3]:
            make_assignment(employee, position, state="approved", start=W10)
        ids = [p.pk for p in created]
        with CaptureQueriesContext(connection) as ctx:
            coverage_weeks(first=W10, last=W10 + dt.timedelta(weeks=weeks - 1), position_ids=ids)
            supply_weeks(
                first=W10, last=W10 + dt.timedelta(weeks=weeks - 1), employee_ids=[employee.pk]
            )
        return len(ctx.captured_queries)

    # the coverage data version (apps.core.versions), the coverage SQL, the supply SQL
    assert count(1, 1) == count(20, 52) == 3
