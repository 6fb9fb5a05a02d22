"""Leave takes hours off the assignments (DESIGN §11, issue 20 item 3): worked cases.

For an employee and a week, A = their counted assignments' hours (every position), S = their
supply (contract + every ledger entry), L = their leave (minus the leave entries and the
corrections reversing one); lost = min(max(A − S, 0), max(L, 0), A). Each assignment delivers
its hours × (A − lost) / A: that is coverage's `assigned`, the rest is `leave_hours_lost`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from apps.calendars.services import calendar_create
from apps.demand.selectors import CoverageWeek, coverage_summary, coverage_weeks
from apps.offer.services import ledger_entry_create, ledger_entry_reverse
from apps.org.models import Employee, Position
from tests.demand.test_api import csv_rows
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

D = Decimal
W10 = dt.date(2026, 3, 2)  # Monday of 2026-W10
W11, W12 = W10 + dt.timedelta(weeks=1), W10 + dt.timedelta(weeks=2)
START = dt.date(2026, 1, 5)


def sunday(monday: dt.date) -> dt.date:
    return monday + dt.timedelta(days=6)


def leave(employee: Employee, start: dt.date, end: dt.date, hours: str, actor=None):
    return ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=start,
        end_date=end,
        hours_per_week=-D(hours),
        actor=actor,
    )


def weeks(position: Position, **kw) -> dict[dt.date, CoverageWeek]:
    rows = coverage_weeks(first=W10, last=W12, position_ids=[position.pk], **kw)
    return {r.week_start: r for r in rows}


def figures(row: CoverageWeek) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    return row.required, row.assigned, row.gap, row.leave_hours_lost


@pytest.fixture
def unit():
    return make_unit(name="Ward")


def full_time(unit, **kw):
    """An employee on 40 h assigned 40 h to a 40 h position from January on."""
    position = make_position(unit, weekly_hours=D("40.00"), start_date=START)
    employee = make_employee(unit, contract_hours=D("40.00"), hire_date=START, **kw)
    assignment = make_assignment(employee, position, state="active", start=START, hours="40.00")
    return position, employee, assignment


def test_a_week_of_leave_takes_the_whole_week_off_a_full_time_assignment(unit, admin_user):
    position, employee, _ = full_time(unit)
    leave(employee, W11, sunday(W11), "40", admin_user)

    rows = weeks(position)
    assert figures(rows[W11]) == (D("40.00"), D("0.00"), D("40.00"), D("40.00"))
    assert rows[W11].ratio == D("0.0000")
    assert rows[W11].holiday_hours_lost == D("0.00")
    for other in (W10, W12):  # the weeks around it are unchanged
        assert figures(rows[other]) == (D("40.00"), D("40.00"), D("0.00"), D("0.00"))


def test_two_positions_share_the_loss_pro_rata(unit, admin_user):
    first = make_position(unit, weekly_hours=D("20.00"), start_date=START)
    second = make_position(make_unit(name="Elsewhere"), weekly_hours=D("20.00"), start_date=START)
    employee = make_employee(unit, contract_hours=D("40.00"), hire_date=START)
    for position in (first, second):
        make_assignment(employee, position, state="approved", start=START, hours="20.00")
    leave(employee, W11, sunday(W11), "20", admin_user)

    for position in (first, second):
        # A report of one position still counts the employee's hours on the other (A = 40).
        assert figures(weeks(position)[W11]) == (D("20.00"), D("10.00"), D("10.00"), D("10.00"))
    both = coverage_weeks(first=W11, last=W11, position_ids=[first.pk, second.pk])
    assert [r.assigned for r in both] == [D("10.00"), D("10.00")]


def test_leave_within_the_free_hours_takes_nothing_off(unit, admin_user):
    position = make_position(unit, weekly_hours=D("20.00"), start_date=START)
    employee = make_employee(unit, contract_hours=D("40.00"), hire_date=START)
    make_assignment(employee, position, state="active", start=START, hours="20.00")
    leave(employee, W11, sunday(W11), "20", admin_user)  # supply 20 still covers the 20 assigned

    assert figures(weeks(position)[W11]) == (D("20.00"), D("20.00"), D("0.00"), D("0.00"))


def test_an_over_committed_employee_without_leave_keeps_every_assigned_hour(unit):
    first = make_position(unit, weekly_hours=D("30.00"), start_date=START)
    second = make_position(unit, weekly_hours=D("30.00"), start_date=START)
    employee = make_employee(unit, contract_hours=D("40.00"), hire_date=START)
    for position in (first, second):
        make_assignment(employee, position, state="active", start=START, hours="30.00")

    for position in (first, second):  # 60 h on a 40 h contract: the rules' business, not ours
        assert figures(weeks(position)[W11]) == (D("30.00"), D("30.00"), D("0.00"), D("0.00"))


def test_an_over_committed_employee_on_leave_loses_only_the_leaves_hours(unit, admin_user):
    first = make_position(unit, weekly_hours=D("30.00"), start_date=START)
    second = make_position(unit, weekly_hours=D("30.00"), start_date=START)
    employee = make_employee(unit, contract_hours=D("40.00"), hire_date=START)
    for position in (first, second):
        make_assignment(employee, position, state="active", start=START, hours="30.00")
    # A = 60, S = 30, L = 10: lost = min(30, 10, 60) = 10, each assignment 30 × 50/60 = 25.
    leave(employee, W11, sunday(W11), "10", admin_user)

    for position in (first, second):
        assert figures(weeks(position)[W11]) == (D("30.00"), D("25.00"), D("5.00"), D("5.00"))


def test_reversing_the_leave_gives_the_hours_back(unit, admin_user):
    position, employee, _ = full_time(unit)
    entry = leave(employee, W11, sunday(W11), "40", admin_user)
    assert weeks(position)[W11].assigned == D("0.00")

    ledger_entry_reverse(entry=entry, actor=admin_user)
    assert figures(weeks(position)[W11]) == (D("40.00"), D("40.00"), D("0.00"), D("0.00"))


def test_half_a_week_of_leave_without_a_calendar_counts_its_days(unit, admin_user):
    position, employee, _ = full_time(unit)
    # Monday to Wednesday: L = 40 × 3/7 = 17.14 of the 40 assigned.
    leave(employee, W11, W11 + dt.timedelta(days=2), "40", admin_user)

    row = weeks(position)[W11]
    assert figures(row) == (D("40.00"), D("22.86"), D("17.14"), D("17.14"))
    assert row.assigned + row.leave_hours_lost == D("40.00")


def test_half_a_week_of_leave_follows_the_employees_calendar(admin_user):
    office = calendar_create(
        code="office", name="Office", week_hours=[D(8)] * 5 + [D(0)] * 2
    )  # Monday to Friday, 8 h
    unit = make_unit(name="Office", calendar=office)
    position, employee, _ = full_time(unit)
    # Monday to Wednesday of a Monday-to-Friday week: 24 of its 40 working hours.
    leave(employee, W11, W11 + dt.timedelta(days=2), "40", admin_user)
    # Saturday and Sunday: no working hours, so nothing is lost.
    leave(employee, W12 + dt.timedelta(days=5), sunday(W12), "40", admin_user)

    rows = weeks(position)
    assert figures(rows[W11]) == (D("40.00"), D("16.00"), D("24.00"), D("24.00"))
    assert figures(rows[W12]) == (D("40.00"), D("40.00"), D("0.00"), D("0.00"))


def test_the_excluded_assignment_is_not_in_the_employees_hours(unit, admin_user):
    """`exclude` (what the rules evaluate a transition against) leaves it out of A too."""
    first = make_position(unit, weekly_hours=D("20.00"), start_date=START)
    second = make_position(unit, weekly_hours=D("20.00"), start_date=START)
    employee = make_employee(unit, contract_hours=D("40.00"), hire_date=START)
    make_assignment(employee, first, state="active", start=START, hours="20.00")
    other = make_assignment(employee, second, state="active", start=START, hours="20.00")
    leave(employee, W11, sunday(W11), "20", admin_user)

    assert weeks(first)[W11].assigned == D("10.00")
    # Without the other assignment, A = 20 = S: nothing is lost.
    row = weeks(first, exclude_assignment=other.pk)[W11]
    assert (row.assigned, row.leave_hours_lost) == (D("20.00"), D("0.00"))


def test_the_summary_rolls_up_delivered_hours_and_the_leave_lost(unit, admin_user):
    child = make_unit(name="Night", parent=unit)
    _, employee, _ = full_time(child)
    leave(employee, W11, sunday(W11), "40", admin_user)

    rows = {
        (r.key, r.week_start): r
        for r in coverage_summary(first=W10, last=W12, targets=[unit, child])
    }
    for key in (unit.pk, child.pk):
        assert figures(rows[(key, W11)]) == (D("40.00"), D("0.00"), D("40.00"), D("40.00"))
        assert figures(rows[(key, W10)]) == (D("40.00"), D("40.00"), D("0.00"), D("0.00"))


# --- through the API ---------------------------------------------------------------------------

RANGE = {"from": str(W10), "to": str(sunday(W12))}


def db_now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def by_week(response) -> dict[str, dict]:
    assert response.status_code == 200, response.content
    return {r["week_start"]: r for r in response.json()["results"]}


def test_a_hand_written_leave_entry_shows_in_coverage_and_the_summary(as_admin, unit):
    position, employee, _ = full_time(unit)
    before = db_now()

    response = as_admin.post(
        "/api/v1/hours-ledger/",
        {
            "employee": employee.pk,
            "kind": "leave",
            "start_date": str(W11),
            "end_date": str(sunday(W11)),
            "hours_per_week": "-40.00",
            "note": "typed in by HR",
        },
        format="json",
    )
    assert response.status_code == 201, response.content

    coverage = by_week(as_admin.get("/api/v1/coverage/", {**RANGE, "position": position.pk}))
    assert {
        k: coverage[str(W11)][k]
        for k in ("required", "assigned", "gap", "ratio", "holiday_hours_lost", "leave_hours_lost")
    } == {
        "required": "40.00",
        "assigned": "0.00",
        "gap": "40.00",
        "ratio": "0.0000",
        "holiday_hours_lost": "0.00",
        "leave_hours_lost": "40.00",
    }
    assert (coverage[str(W10)]["assigned"], coverage[str(W10)]["leave_hours_lost"]) == (
        "40.00",
        "0.00",
    )

    summary = by_week(
        as_admin.get("/api/v1/coverage/summary/", {**RANGE, "org_unit": unit.pk, "depth": 0})
    )
    assert (summary[str(W11)]["assigned"], summary[str(W11)]["leave_hours_lost"]) == (
        "0.00",
        "40.00",
    )
    assert summary[str(W11)]["gap"] == "40.00"

    response = as_admin.get(
        "/api/v1/coverage/", {**RANGE, "position": position.pk, "format": "csv"}
    )
    header, rows = csv_rows(response)
    assert header[-1] == "leave_hours_lost"
    assert [(r["week_start"], r["assigned"], r["leave_hours_lost"]) for r in rows] == [
        (str(W10), "40.00", "0.00"),
        (str(W11), "0.00", "40.00"),
        (str(W12), "40.00", "0.00"),
    ]

    # As of before the entry: what was answered then.
    then = by_week(
        as_admin.get(
            "/api/v1/coverage/",
            {**RANGE, "position": position.pk, "as_of": before.isoformat()},
        )
    )
    assert (then[str(W11)]["assigned"], then[str(W11)]["leave_hours_lost"]) == ("40.00", "0.00")
    then_summary = by_week(
        as_admin.get(
            "/api/v1/coverage/summary/",
            {**RANGE, "org_unit": unit.pk, "depth": 0, "as_of": before.isoformat()},
        )
    )
    assert then_summary[str(W11)]["assigned"] == "40.00"


def test_as_of_between_the_leave_and_its_reversal(as_admin, unit, admin_user):
    position, employee, _ = full_time(unit)
    entry = leave(employee, W11, sunday(W11), "40", admin_user)
    on_leave = db_now()
    ledger_entry_reverse(entry=entry, actor=admin_user)

    params = {**RANGE, "position": position.pk}
    now = by_week(as_admin.get("/api/v1/coverage/", params))
    then = by_week(as_admin.get("/api/v1/coverage/", {**params, "as_of": on_leave.isoformat()}))
    assert (now[str(W11)]["assigned"], now[str(W11)]["leave_hours_lost"]) == ("40.00", "0.00")
    assert (then[str(W11)]["assigned"], then[str(W11)]["leave_hours_lost"]) == ("0.00", "40.00")
