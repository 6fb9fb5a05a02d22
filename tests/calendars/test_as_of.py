"""Reports as of an instant see calendar changes (DESIGN §7, §8): naming a calendar on a unit,
adding or removing a public holiday and making a position close on holidays are recorded, and
coverage/, coverage/summary/ and supply/ as of an instant before them answer what they
answered then."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from apps.calendars import services as calendars
from apps.org import services as org
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

RANGE = {"from": "2026-03-02", "to": "2026-03-15"}  # W10, W11
REPORTS = ("/api/v1/coverage/", "/api/v1/coverage/summary/", "/api/v1/supply/")
HOLIDAY = dt.date(2026, 3, 11)  # the Wednesday of W11


def db_now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def snapshot(client, **extra) -> dict[str, list[dict]]:
    out = {}
    for url in REPORTS:
        response = client.get(url, {**RANGE, "page_size": 100, **extra})
        assert response.status_code == 200, response.content
        out[url] = response.json()["results"]
    return out


def w11(rows: list[dict]) -> dict:
    (row,) = [r for r in rows if r["week"] == "2026-W11"]
    return row


@pytest.fixture
def world(admin_user):
    root = make_unit(name="Clinic")
    ward = make_unit(parent=root, name="Ward")
    position = make_position(ward, weekly_hours=Decimal("40.00"), start_date=dt.date(2026, 1, 5))
    employee = make_employee(ward, contract_hours=Decimal("40.00"), hire_date=dt.date(2026, 1, 5))
    make_assignment(employee, position, state="active", start=dt.date(2026, 1, 5), hours="40")
    office = calendars.calendar_create(code="office", name="Office")
    return root, ward, position, office


def test_calendar_changes_are_seen_from_when_they_were_made(as_admin, admin_user, world):
    root, _ward, position, office = world
    no_calendar = snapshot(as_admin)
    assert w11(no_calendar["/api/v1/supply/"])["working_hours"] is None
    t0 = db_now()

    # The parent names the calendar: the ward inherits it (a normal week still supplies 40 h).
    org.org_unit_update(unit=root, calendar=office)
    t1 = db_now()
    holiday = calendars.calendar_day_create(calendar=office, date=HOLIDAY, name="Holiday")
    t2 = db_now()
    org.position_update(position=position, closes_on_holidays=True, actor=admin_user)
    t3 = db_now()
    calendars.calendar_day_delete(day=holiday)

    now = snapshot(as_admin)
    supply = {t: w11(snapshot(as_admin, as_of=t.isoformat())["/api/v1/supply/"]) for t in (t1, t2)}
    coverage = {
        t: w11(snapshot(as_admin, as_of=t.isoformat())["/api/v1/coverage/"]) for t in (t2, t3)
    }

    assert snapshot(as_admin, as_of=t0.isoformat()) == no_calendar
    # Named, no holiday yet: the calendar's 40 h week, the same hours.
    assert (supply[t1]["working_hours"], supply[t1]["contract"]) == ("40.00", "40.00")
    # The holiday: 8 h off the week, for the employee and their assignment.
    assert (supply[t2]["working_hours"], supply[t2]["contract"]) == ("32.00", "32.00")
    assert supply[t2]["assigned"] == "32.00"
    # The position needs its hours on the holiday: an 8 h gap, until it closes on holidays.
    assert (coverage[t2]["required"], coverage[t2]["gap"]) == ("40.00", "8.00")
    assert coverage[t2]["holiday_hours_lost"] == "8.00"
    assert (coverage[t3]["required"], coverage[t3]["gap"]) == ("32.00", "0.00")
    # The holiday deleted again: back to a normal week, now.
    assert w11(now["/api/v1/supply/"])["contract"] == "40.00"
    assert w11(now["/api/v1/coverage/"])["holiday_hours_lost"] == "0.00"
