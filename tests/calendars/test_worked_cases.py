"""Working calendars in supply, coverage, the summary, the rules' weekly facts and simulate
(DESIGN.md §8, issue 17): hand-worked cases, each with its arithmetic written out.

Unless a case says otherwise the week is 2026-W10 (Monday 2 March to Sunday 8 March), the
calendar "office" works 8 h Monday to Friday (a normal week of N = 40 h) and has a public
holiday on Wednesday 4 March. A weekly rate r delivers r × hours(day) / N on a day with a
calendar, r / 7 without one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from apps.business_rules.engine import evaluate
from apps.calendars.models import WorkCalendar
from apps.calendars.services import (
    calendar_create,
    calendar_day_create,
    calendar_day_delete,
    calendar_update,
    holidays_generate,
)
from apps.demand.selectors import CoverageWeek, coverage_summary, coverage_weeks
from apps.demand.services import requirement_create
from apps.offer.selectors import SupplyWeek, supply_weeks
from apps.offer.services import ledger_entry_create
from apps.org import services as org_services
from apps.org.models import Employee, OrgUnit, Position
from tests.demand.test_as_of import db_now
from tests.factories.assignments import make_assignment, only_rule
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

D = Decimal
MONDAY = dt.date(2026, 3, 2)  # 2026-W10
WEDNESDAY = MONDAY + dt.timedelta(days=2)
NEXT = MONDAY + dt.timedelta(weeks=1)  # 2026-W11, no exception
HIRED = dt.date(2025, 1, 6)
SIMULATE = "/api/v1/assignments/simulate/"


def day(n: int) -> dt.date:
    """The n-th day from Monday of W10 (0: Monday 2 March)."""
    return MONDAY + dt.timedelta(days=n)


def office(code: str = "office", holiday: bool = True, **kw: Any) -> WorkCalendar:
    """Mon-Fri 8 h (N = 40), with a public holiday on Wednesday of W10 unless told not to."""
    calendar = calendar_create(code=code, name=code.title(), **kw)
    if holiday:
        calendar_day_create(calendar=calendar, date=WEDNESDAY, kind="holiday", name="Holiday")
    return calendar


def employee(unit: OrgUnit, **kw: Any) -> Employee:
    kw.setdefault("contract_hours", D("40.00"))
    kw.setdefault("hire_date", HIRED)
    return make_employee(unit, **kw)


def position(unit: OrgUnit, **kw: Any) -> Position:
    kw.setdefault("weekly_hours", D("40.00"))
    kw.setdefault("start_date", HIRED)
    return make_position(unit, **kw)


def assign(e: Employee, p: Position, hours: str = "40.00", **kw: Any) -> Any:
    kw.setdefault("start", HIRED)
    return make_assignment(e, p, state=kw.pop("state", "active"), hours=hours, **kw)


def supply(e: Employee, week: dt.date = MONDAY) -> SupplyWeek:
    [row] = supply_weeks(first=week, last=week, employee_ids=[e.pk])
    return row


def coverage(p: Position, week: dt.date = MONDAY) -> CoverageWeek:
    [row] = coverage_weeks(first=week, last=week, position_ids=[p.pk])
    return row


def figures(row: CoverageWeek) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(required, assigned, gap, holiday hours lost)."""
    return row.required, row.assigned, row.gap, row.holiday_hours_lost


# --- supply --------------------------------------------------------------------------------------


def test_a_public_holiday_takes_its_hours_off_a_40_hour_week(as_admin):
    unit = make_unit(calendar=office())
    e = employee(unit)
    # W10: 4 working days of 8 h = 32 h of 40: 40 × 32 / 40 = 32.
    row = supply(e)
    assert (row.contract, row.ledger, row.supply, row.working_hours) == (D(32), 0, D(32), D(32))
    # W11 is a normal week.
    assert (supply(e, NEXT).contract, supply(e, NEXT).working_hours) == (D(40), D(40))

    response = as_admin.get("/api/v1/supply/", {"from": "2026-03-02", "to": "2026-03-15"})
    assert response.status_code == 200, response.content
    rows = [
        (r["week_start"], r["contract"], r["supply"], r["free"], r["working_hours"])
        for r in response.json()["results"]
    ]
    assert rows == [
        ("2026-03-02", "32.00", "32.00", "32.00", "32.00"),
        ("2026-03-09", "40.00", "40.00", "40.00", "40.00"),
    ]


def test_a_half_day_counts_its_hours():
    calendar = office(holiday=False)
    calendar_day_create(calendar=calendar, date=WEDNESDAY, kind="half_day")  # 8 / 2 = 4 h
    e = employee(make_unit(calendar=calendar))
    # 8 + 8 + 4 + 8 + 8 = 36 h of 40: 40 × 36 / 40 = 36.
    assert (supply(e).contract, supply(e).working_hours) == (D(36), D(36))


def test_an_extra_saturday_adds_its_hours():
    calendar = office(holiday=False)
    calendar_day_create(calendar=calendar, date=day(5), kind="extra", hours=D(8))
    e = employee(make_unit(calendar=calendar))
    # 5 × 8 + 8 = 48 h, N stays 40: 40 × 48 / 40 = 48.
    assert (supply(e).contract, supply(e).working_hours) == (D(48), D(48))


def test_a_mid_week_start_counts_the_working_days_left():
    unit = make_unit(calendar=office(holiday=False))
    # Hired on Wednesday: Wed, Thu, Fri = 24 h of 40: 40 × 24 / 40 = 24 (working_hours is the
    # calendar's whole week, employed or not). Leaves on Wednesday of W11: Mon-Wed, 24 again.
    e = employee(unit, hire_date=WEDNESDAY, termination_date=day(9))
    assert (supply(e).contract, supply(e).working_hours) == (D(24), D(40))
    assert (supply(e, NEXT).contract, supply(e, NEXT).working_hours) == (D(24), D(40))
    # An assignment of 20 h starting on Wednesday: 20 × 24 / 40 = 12.
    assign(e, position(unit), "20.00", start=WEDNESDAY)
    assert supply(e).assigned == D(12)


def test_weekend_work_and_a_weekday_off():
    # Wed-Sun 8 h (N = 40): hired on Saturday of W10, 16 h of 40 = 16; no day off pro rata.
    calendar = calendar_create(
        code="weekend", name="Weekend", week_hours=[D(0), D(0), D(8), D(8), D(8), D(8), D(8)]
    )
    e = employee(make_unit(calendar=calendar), hire_date=day(5))
    assert (supply(e).contract, supply(e).working_hours) == (D(16), D(40))
    # Without a calendar the same start counts 2 days of 7: 40 × 2 / 7 = 11.43.
    assert supply(employee(make_unit(), hire_date=day(5))).contract == D("11.43")


def test_without_a_calendar_a_week_is_seven_days(as_admin):
    unit = make_unit()
    # Hired on Wednesday: 5 days of 7: 40 × 5 / 7 = 28.571… = 28.57.
    e = employee(unit, hire_date=WEDNESDAY)
    row = supply(e)
    assert (row.contract, row.working_hours) == (D("28.57"), None)
    # A position that closes on holidays but has no calendar demands r / 7 a day as well.
    p = position(unit, start_date=WEDNESDAY, closes_on_holidays=True)
    assign(e, p, start=WEDNESDAY)
    assert figures(coverage(p)) == (D("28.57"), D("28.57"), 0, 0)

    response = as_admin.get("/api/v1/supply/", {"from": "2026-03-02", "to": "2026-03-08"})
    [body] = response.json()["results"]
    assert (body["contract"], body["working_hours"]) == ("28.57", None)


def test_christmas_week_from_the_generated_public_holidays():
    calendar = office(holiday=False)
    holidays_generate(calendar=calendar, country="DE", from_year=2026, to_year=2027)
    unit = make_unit(calendar=calendar)
    e, ward = employee(unit), position(unit)
    assign(e, ward)
    christmas, new_year = dt.date(2026, 12, 21), dt.date(2026, 12, 28)  # W52 and W53
    # Friday 25 December off (the 26th is a Saturday, 0 h anyway): 32; Friday 1 January: 32.
    rows = supply_weeks(first=christmas, last=new_year, employee_ids=[e.pk])
    assert [(r.week, r.contract, r.working_hours) for r in rows] == [
        ("2026-W52", D(32), D(32)),
        ("2026-W53", D(32), D(32)),
    ]
    rows = coverage_weeks(first=christmas, last=new_year, position_ids=[ward.pk])
    assert [(r.week, *figures(r)) for r in rows] == [
        ("2026-W52", D(40), D(32), D(8), D(8)),
        ("2026-W53", D(40), D(32), D(8), D(8)),
    ]


# --- coverage ------------------------------------------------------------------------------------


def test_a_position_that_does_not_close_on_holidays_shows_the_holiday_as_a_gap(as_admin):
    unit = make_unit(calendar=office())
    ward = position(unit)  # closes_on_holidays defaults to false
    assert ward.closes_on_holidays is False
    assign(employee(unit), ward)
    # Required 40 (r / 7 every day); the employee delivers 40 × 32 / 40 = 32 and does not
    # work the 8 h of the holiday: 40 × (8 − 0) / 40 = 8 lost.
    assert figures(coverage(ward)) == (D(40), D(32), D(8), D(8))
    assert figures(coverage(ward, NEXT)) == (D(40), D(40), 0, 0)

    response = as_admin.get("/api/v1/coverage/", {"from": "2026-03-02", "to": "2026-03-15"})
    assert response.status_code == 200, response.content
    rows = [
        tuple(
            r[k]
            for k in ("week_start", "required", "assigned", "gap", "ratio", "holiday_hours_lost")
        )
        for r in response.json()["results"]
    ]
    assert rows == [
        ("2026-03-02", "40.00", "32.00", "8.00", "0.8000", "8.00"),
        ("2026-03-09", "40.00", "40.00", "0.00", "1.0000", "0.00"),
    ]


def test_a_position_that_closes_on_holidays_shows_no_gap():
    unit = make_unit(calendar=office())
    shop = position(unit, closes_on_holidays=True)
    assign(employee(unit), shop)
    # Required 40 × 32 / 40 = 32, assigned 32: no gap. The employee still does not work the
    # holiday's 8 h (lost 8), but the position does not need them.
    assert figures(coverage(shop)) == (D(32), D(32), 0, D(8))


def test_a_half_day_and_an_extra_day_in_coverage():
    calendar = office(holiday=False)
    calendar_day_create(calendar=calendar, date=WEDNESDAY, kind="half_day")  # 4 h
    calendar_day_create(calendar=calendar, date=day(5), kind="extra", hours=D(8))  # Saturday
    unit = make_unit(calendar=calendar)
    ward, shop = position(unit), position(unit, closes_on_holidays=True)
    assign(employee(unit), ward)
    assign(employee(unit), shop)
    # Working hours 8 + 8 + 4 + 8 + 8 + 8 = 44 → 40 × 44 / 40 = 44 assigned. Lost: only the
    # half day's 4 h (an extra day takes nothing off): 40 × 4 / 40 = 4.
    assert figures(coverage(ward)) == (D(40), D(44), D(-4), D(4))
    assert figures(coverage(shop)) == (D(44), D(44), 0, D(4))


def test_an_assignment_delivers_on_its_employees_working_days():
    with_holiday = make_unit(calendar=office())
    without = make_unit()
    # Employee with the holiday, position without a calendar: required 40, delivered 32.
    ward = position(without)
    assign(employee(with_holiday), ward)
    assert figures(coverage(ward)) == (D(40), D(32), D(8), D(8))
    # Employee without a calendar on a position closing on the holiday: required 32, the
    # employee delivers 40 / 7 every day = 40, and loses nothing.
    shop = position(with_holiday, closes_on_holidays=True)
    assign(employee(without), shop)
    assert figures(coverage(shop)) == (D(32), D(40), D(-8), 0)


def test_the_summary_adds_up_its_positions(as_admin):
    top = make_unit()  # no calendar of its own
    unit = make_unit(parent=top, calendar=office())
    ward, shop = position(unit), position(unit, closes_on_holidays=True)
    assign(employee(unit), ward)  # 40 / 32 / gap 8 / lost 8
    assign(employee(unit), shop)  # 32 / 32 / gap 0 / lost 8
    rows = coverage_summary(first=MONDAY, last=MONDAY, targets=[top, unit])
    assert [(r.key, *figures(r)) for r in rows] == [
        (top.pk, D(72), D(64), D(8), D(16)),
        (unit.pk, D(72), D(64), D(8), D(16)),
    ]
    params = {"from": "2026-03-02", "to": "2026-03-08", "org_unit": top.pk, "depth": 1}
    response = as_admin.get("/api/v1/coverage/summary/", params)
    assert response.status_code == 200, response.content
    assert [
        (r["org_unit"], r["required"], r["assigned"], r["gap"], r["holiday_hours_lost"])
        for r in response.json()["results"]
    ] == [
        (top.pk, "72.00", "64.00", "8.00", "16.00"),
        (unit.pk, "72.00", "64.00", "8.00", "16.00"),
    ]


# --- which calendar ------------------------------------------------------------------------------


def test_a_parents_calendar_is_inherited_and_a_childs_own_overrides_it():
    parent = make_unit(calendar=office())
    child = make_unit(parent=parent)  # inherits office
    # Mon-Thu 10 h (N = 40) with a closure on Thursday of W10: 30 h of 40.
    four_days = calendar_create(
        code="four-days", name="Four days", week_hours=[D(10)] * 4 + [D(0)] * 3
    )
    calendar_day_create(calendar=four_days, date=day(3), kind="closure")
    grandchild = make_unit(parent=child, calendar=four_days)
    below = make_unit(parent=grandchild)  # inherits four-days, not office
    alone = make_unit()

    assert child.effective_calendar_id == parent.calendar_id
    assert below.effective_calendar_id == four_days.pk
    contract = {u.code: supply(employee(u)) for u in (parent, child, grandchild, below, alone)}
    assert {code: (r.contract, r.working_hours) for code, r in contract.items()} == {
        parent.code: (D(32), D(32)),
        child.code: (D(32), D(32)),  # office's holiday
        grandchild.code: (D(30), D(30)),  # 40 × 30 / 40; office's Wednesday is a 10 h day here
        below.code: (D(30), D(30)),
        alone.code: (D(40), None),
    }
    # Positions follow their unit's calendar the same way (when they close on holidays).
    assert coverage(position(child, closes_on_holidays=True)).required == D(32)
    assert coverage(position(below, closes_on_holidays=True)).required == D(30)


def test_changing_a_calendar_changes_the_numbers(as_admin):
    top = make_unit()
    unit = make_unit(parent=top)
    e = employee(unit)
    assert (supply(e).contract, supply(e).working_hours) == (D(40), None)

    calendar = office()
    response = as_admin.patch(f"/api/v1/org-units/{top.pk}/", {"calendar": calendar.pk}, "json")
    assert response.status_code == 200, response.content
    assert (supply(e).contract, supply(e).working_hours) == (D(32), D(32))  # inherited

    # The unit names its own calendar: no holiday there.
    org_services.org_unit_update(unit=unit, calendar=office("plain", holiday=False))
    assert supply(e).contract == D(40)
    org_services.org_unit_update(unit=unit, calendar=None)
    assert supply(e).contract == D(32)  # back to the parent's

    # The calendar's week changes to Mon-Thu 10 h: the holiday now takes 10 h of 40: 30.
    calendar_update(calendar=calendar, week_hours=[D(10)] * 4 + [D(0)] * 3)
    assert (supply(e).contract, supply(e).working_hours) == (D(30), D(30))
    # The holiday is removed: a normal week again.
    calendar_day_delete(day=calendar.days.get(date=WEDNESDAY))
    assert (supply(e).contract, supply(e).working_hours) == (D(40), D(40))


def test_moving_a_unit_or_an_employee_moves_them_to_another_calendar():
    with_holiday, without = make_unit(calendar=office()), make_unit()
    unit = make_unit(parent=without)
    e = employee(unit)
    assert supply(e).contract == D(40)
    org_services.org_unit_update(unit=unit, parent=with_holiday)  # now below the holiday
    assert supply(e).contract == D(32)
    org_services.employee_update(employee=e, org_unit=without)  # the employee moves out
    assert supply(e).contract == D(40)


def test_a_requirement_and_a_mid_week_version_on_a_position_that_closes():
    unit = make_unit(calendar=office())
    shop, ward = position(unit, closes_on_holidays=True), position(unit)
    for p in (shop, ward):
        requirement_create(position=p, start_date=MONDAY, end_date=day(1), required_hours=D(60))
    # Closes: Mon-Tue 60 × 16 / 40 = 24, the holiday 0, Thu-Fri 40 × 16 / 40 = 16: 40.
    assert coverage(shop).required == D(40)
    # Open on the holiday: (60 × 2 + 40 × 5) / 7 = 320 / 7 = 45.714… = 45.71.
    assert coverage(ward).required == D("45.71")

    # W11: 40 h until Tuesday, 20 h from Wednesday: Mon-Tue 40 × 16 / 40 = 16, Wed-Fri
    # 20 × 24 / 40 = 12: 28; open every day (40 × 2 + 20 × 5) / 7 = 180 / 7 = 25.71.
    for p in (shop, ward):
        org_services.weekly_hours_add(position=p, valid_from=day(9), hours=D(20), actor=None)
    assert (coverage(shop, NEXT).required, coverage(ward, NEXT).required) == (D(28), D("25.71"))


def test_contract_versions_and_leave_in_a_holiday_week(admin_user):
    e = employee(make_unit(calendar=office()))
    # 40 h until Tuesday, 20 h from Wednesday (the holiday): 40 × 16 / 40 + 20 × 16 / 40 = 24.
    org_services.contract_hours_add(employee=e, valid_from=WEDNESDAY, hours=D(20), actor=None)
    assert supply(e).contract == D(24)
    # A whole week's leave at 20 h a week, spread like every rate: −20 × 32 / 40 = −16.
    ledger_entry_create(
        employee=e,
        kind="leave",
        start_date=MONDAY,
        end_date=day(6),
        hours_per_week=D(-20),
        actor=admin_user,
    )
    row = supply(e)
    assert (row.contract, row.ledger, row.supply) == (D(24), D(-16), D(8))


def test_a_report_as_of_before_a_calendar_change_is_what_was_answered_then(as_admin):
    calendar = office()
    unit = make_unit(calendar=calendar)
    e, ward = employee(unit), position(unit)
    assign(e, ward)
    params = {"from": "2026-03-02", "to": "2026-03-15", "page_size": 100}
    urls = ("/api/v1/supply/", "/api/v1/coverage/", "/api/v1/coverage/summary/")

    def snapshot(**extra: Any) -> dict[str, Any]:
        return {url: as_admin.get(url, {**params, **extra}).json()["results"] for url in urls}

    before = snapshot()
    instant = db_now()
    calendar_day_delete(day=calendar.days.get(date=WEDNESDAY))
    calendar_update(calendar=calendar, week_hours=[D(10)] * 4 + [D(0)] * 3)
    org_services.position_update(position=ward, closes_on_holidays=True)
    calendar_day_create(calendar=calendar, date=day(8), kind="holiday")  # Tuesday of W11
    after = snapshot()
    assert after != before
    assert snapshot(as_of=instant.isoformat()) == before


def test_positions_say_whether_they_close_on_holidays(as_admin):
    unit = make_unit()
    body = {
        "code": "P-SHOP",
        "title": "Shop",
        "org_unit": unit.pk,
        "weekly_hours": "40.00",
        "start_date": "2026-03-02",
    }
    response = as_admin.post("/api/v1/positions/", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["closes_on_holidays"] is False
    response = as_admin.post(
        "/api/v1/positions/", {**body, "code": "P-OFFICE", "closes_on_holidays": True}, "json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["closes_on_holidays"] is True
    assert Position.objects.get(code="P-OFFICE").closes_on_holidays is True


# --- the rules' weekly facts and simulate --------------------------------------------------------


@pytest.fixture
def holiday_unit() -> OrgUnit:
    return make_unit(calendar=office())


def proposal(e: Employee, p: Position, hours: str, start: dt.date, end: dt.date) -> Any:
    return make_assignment(e, p, start=start, end=end, hours=hours)


def test_max_weekly_hours_counts_the_holiday_week_with_the_calendar(holiday_unit):
    e, p = employee(holiday_unit), position(holiday_unit)
    end = day(27)  # W10-W13
    assign(e, p, "20.00", start=MONDAY, end=end, state="approved")
    only_rule("max-45", "max_weekly_hours", {"max_hours": "45.00"})
    # W10: the other assignment 20 × 32 / 40 = 16, this one 30 × 32 / 40 = 24: 40, within 45.
    # W11-W13: 20 + 30 = 50, over.
    [violation] = evaluate(subject=proposal(e, p, "30.00", MONDAY, end), transition="approve")
    assert violation["weeks"] == ["2026-W11", "2026-W12", "2026-W13"]
    assert violation["facts"] == {"limit": "45.00", "actual": "50.00"}

    only_rule("max-30", "max_weekly_hours", {"max_hours": "30.00"})
    # Only W10: 16 + 24 = 40 (without the calendar it would be 50).
    [violation] = evaluate(subject=proposal(e, p, "30.00", MONDAY, day(6)), transition="approve")
    assert violation["weeks"] == ["2026-W10"]
    assert violation["facts"] == {"limit": "30.00", "actual": "40.00"}


def test_no_overcommit_compares_with_the_holiday_weeks_supply(holiday_unit):
    e, p = employee(holiday_unit), position(holiday_unit)
    assign(e, p, "20.00", start=MONDAY, end=day(13), state="approved")
    only_rule("no-over", "no_overcommit", {})
    # W10: supply 32; 16 + 24 = 40 > 32. W11: supply 40; 20 + 30 = 50 > 40.
    [violation] = evaluate(subject=proposal(e, p, "30.00", MONDAY, day(13)), transition="approve")
    assert violation["weeks"] == ["2026-W10", "2026-W11"]
    # The worst week is the one with the largest excess: W11 (10 over) against W10 (8 over).
    assert violation["facts"] == {"limit": "40.00", "actual": "50.00"}


def test_simulate_in_a_holiday_week(as_admin, holiday_unit):
    e, p = employee(holiday_unit), position(holiday_unit)
    assign(e, p, "10.00", start=MONDAY, end=day(13), state="approved")  # W10: 8, W11: 10
    # Another employee without a calendar: 7 h in W10 (7 / 7 a day, every day).
    assign(employee(make_unit()), p, "7.00", start=MONDAY, end=day(6))
    only_rule("cap-23", "max_weekly_hours", {"max_hours": "23.00"})

    response = as_admin.post(
        SIMULATE,
        {
            "employee": e.pk,
            "position": p.pk,
            "start_date": "2026-03-02",
            "end_date": "2026-03-11",  # Wednesday of W11
            "weekly_hours": "20.00",
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    # This assignment: W10 20 × 32 / 40 = 16 (the holiday off); W11 Mon-Wed 20 × 24 / 40 = 12
    # (without a calendar: 20 × 3 / 7 = 8.57).
    assert body["total_hours"] == "28.00"
    assert body["coverage"] == [
        {
            "week": "2026-W10",
            "week_start": "2026-03-02",
            "required": "40.00",
            "assigned_before": "15.00",  # 8 + 7
            "assigned_after": "31.00",
            "gap_before": "25.00",
            "gap_after": "9.00",
        },
        {
            "week": "2026-W11",
            "week_start": "2026-03-09",
            "required": "40.00",
            "assigned_before": "10.00",
            "assigned_after": "22.00",
            "gap_before": "30.00",
            "gap_after": "18.00",
        },
    ]
    assert body["supply"] == [
        {
            "week": "2026-W10",
            "week_start": "2026-03-02",
            "supply": "32.00",
            "assigned_before": "8.00",
            "assigned_after": "24.00",
            "free_before": "24.00",
            "free_after": "8.00",
        },
        {
            "week": "2026-W11",
            "week_start": "2026-03-09",
            "supply": "40.00",
            "assigned_before": "10.00",
            "assigned_after": "22.00",
            "free_before": "30.00",
            "free_after": "18.00",
        },
    ]
    # 8 + 16 = 24 > 23 in W10; 10 + 12 = 22 in W11.
    [violation] = body["violations"]
    assert violation["weeks"] == ["2026-W10"]
    assert violation["facts"] == {"limit": "23.00", "actual": "24.00"}
    assert body["blocked"] is True


def test_a_week_is_rounded_once_half_away_from_zero(as_admin):
    calendar = office(holiday=False)
    calendar_day_create(calendar=calendar, date=WEDNESDAY, kind="half_day")  # 4 h
    unit = make_unit(calendar=calendar)
    e, p = employee(unit), position(unit)
    # 12.25 h a week Monday to Wednesday: 8 + 8 + 4 = 20 h of 40, 12.25 × 20 / 40 = 6.125,
    # which rounds to 6.13; the half day takes 12.25 × 4 / 40 = 1.225 → 1.23 of it.
    assign(e, p, "12.25", start=MONDAY, end=WEDNESDAY, state="approved")
    assert supply(e).assigned == D("6.13")
    assert (coverage(p).assigned, coverage(p).holiday_hours_lost) == (D("6.13"), D("1.23"))

    # The same again, simulated: the other assignment's week (6.13) plus this one's (6.13),
    # each rounded on its own: 12.26 (the exact sum 12.25 is what supply shows once saved).
    only_rule("max-12", "max_weekly_hours", {"max_hours": "12.25"})
    fields = {
        "employee": e.pk,
        "position": p.pk,
        "start_date": "2026-03-02",
        "end_date": "2026-03-04",
        "weekly_hours": "12.25",
    }
    response = as_admin.post(SIMULATE, fields, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["total_hours"] == "6.13"
    assert body["supply"][0]["assigned_after"] == "12.26"
    [violation] = body["violations"]
    assert violation["facts"] == {"limit": "12.25", "actual": "12.26"}

    assign(e, p, "12.25", start=MONDAY, end=WEDNESDAY, state="approved")
    assert supply(e).assigned == D("12.25")  # 2 × 12.25 × 20 / 40, rounded once


def test_no_calendar_anywhere_keeps_todays_numbers():
    # A calendar that no unit names changes nothing.
    office()
    unit = make_unit()
    e = employee(unit, hire_date=WEDNESDAY)
    p = position(unit, closes_on_holidays=True)
    assign(e, p, "40.00", start=WEDNESDAY)
    # Contract and assigned 40 × 5 / 7 = 28.57; required 40 (open all week).
    row = supply(e)
    assert (row.contract, row.assigned, row.working_hours) == (D("28.57"), D("28.57"), None)
    assert figures(coverage(p)) == (D(40), D("28.57"), D("11.43"), 0)
