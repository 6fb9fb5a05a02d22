"""Reports as of an instant (DESIGN §7): `as_of` on coverage/, coverage/summary/ and supply/
(JSON and CSV) answers exactly what the same request answered then, from the recorded history
of every input; an instant in the future or before the first record is a 400."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from apps.assignments.models import Assignment
from apps.core.exceptions import Conflict, ProblemError, Unprocessable
from apps.demand.services import requirement_create
from apps.fsm.services import transition_cascade
from apps.offer.services import ledger_entry_create
from apps.org import services as org
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

RANGE = {"from": "2026-03-02", "to": "2026-04-26"}  # W10..W17
REPORTS = ("/api/v1/coverage/", "/api/v1/coverage/summary/", "/api/v1/supply/")


def db_now() -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        return cursor.fetchone()[0]


def report(client, url: str, **extra) -> list[dict]:
    response = client.get(url, {**RANGE, "page_size": 1000, **extra})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def snapshot(client, **extra) -> dict[str, list[dict]]:
    return {url: report(client, url, **extra) for url in REPORTS}


@pytest.fixture
def world():
    unit = make_unit(name="Ward")
    position = make_position(unit, weekly_hours=Decimal("40.00"), start_date=dt.date(2026, 1, 5))
    employee = make_employee(unit, contract_hours=Decimal("40.00"), hire_date=dt.date(2026, 1, 5))
    return unit, position, employee


def test_a_report_as_of_an_earlier_instant_is_what_was_answered_then(as_admin, admin_user, world):
    _unit, position, employee = world
    before = snapshot(as_admin)
    instant = db_now()

    org.weekly_hours_add(
        position=position, valid_from=dt.date(2026, 3, 9), hours=Decimal("20"), actor=admin_user
    )
    org.contract_hours_add(
        employee=employee, valid_from=dt.date(2026, 3, 16), hours=Decimal("30"), actor=admin_user
    )
    make_assignment(employee, position, state="approved", actor=admin_user, hours="16.00")
    ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=dt.date(2026, 3, 23),
        end_date=dt.date(2026, 3, 29),
        hours_per_week=Decimal("-30"),
        note="",
        actor=admin_user,
    )
    requirement_create(
        position=position,
        start_date=dt.date(2026, 4, 6),
        end_date=dt.date(2026, 4, 12),
        required_hours=Decimal("60"),
    )
    after = snapshot(as_admin)
    assert after != before

    assert snapshot(as_admin, as_of=instant.isoformat()) == before
    assert snapshot(as_admin, as_of=db_now().isoformat()) == after


def test_an_org_move_is_seen_from_when_it_happened(as_admin, world):
    unit, _position, _employee = world
    root_a, root_b = make_unit(name="A"), make_unit(name="B")
    org.org_unit_update(unit=unit, parent=root_a)
    summary = {"depth": 0}
    instant = db_now()
    then = report(as_admin, "/api/v1/coverage/summary/", **summary)
    org.org_unit_update(unit=unit, parent=root_b)
    now = report(as_admin, "/api/v1/coverage/summary/", **summary)
    assert now != then
    assert (
        report(as_admin, "/api/v1/coverage/summary/", as_of=instant.isoformat(), **summary) == then
    )


def test_responses_carry_the_instant_used(as_admin, world):
    instant = db_now()
    response = as_admin.get("/api/v1/coverage/", {**RANGE, "as_of": instant.isoformat()})
    assert dt.datetime.fromisoformat(response["Coveris-As-Of"]) == instant
    plain = as_admin.get("/api/v1/coverage/", RANGE)
    assert dt.datetime.fromisoformat(plain["Coveris-As-Of"]) >= instant


def test_the_csv_download_is_as_of_too(as_admin, admin_user, world):
    _unit, position, _employee = world
    instant = db_now()
    then = as_admin.get("/api/v1/coverage/", {**RANGE, "format": "csv"}).getvalue()
    org.weekly_hours_add(
        position=position, valid_from=dt.date(2026, 3, 2), hours=Decimal("10"), actor=admin_user
    )
    assert as_admin.get("/api/v1/coverage/", {**RANGE, "format": "csv"}).getvalue() != then
    response = as_admin.get(
        "/api/v1/coverage/", {**RANGE, "format": "csv", "as_of": instant.isoformat()}
    )
    assert response.getvalue() == then


@pytest.mark.parametrize("url", REPORTS)
@pytest.mark.parametrize(
    "value", ["2999-01-01T00:00:00Z", "1999-01-01T00:00:00Z", "yesterday", "2026-13-01T00:00"]
)
def test_as_of_in_the_future_before_the_record_or_malformed_is_a_400(as_admin, world, url, value):
    response = as_admin.get(url, {**RANGE, "as_of": value})
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert "as_of" in response.json()["errors"]


# --- a property: 200 random operations, a report after each, every one reproduced ------------


def _operations(rng: random.Random, admin_user, units, positions, employees):
    """One random edit of an input of the reports."""
    choice = rng.randrange(7)
    day = dt.date(2026, 3, 2) + dt.timedelta(days=rng.randrange(56))
    if choice == 0:
        org.weekly_hours_add(
            position=rng.choice(positions),
            valid_from=day,
            hours=Decimal(rng.randrange(0, 60)),
            actor=admin_user,
        )
    elif choice == 1:
        org.contract_hours_add(
            employee=rng.choice(employees),
            valid_from=day,
            hours=Decimal(rng.randrange(0, 45)),
            actor=admin_user,
        )
    elif choice == 2:
        requirement_create(
            position=rng.choice(positions),
            start_date=day,
            end_date=day + dt.timedelta(days=rng.randrange(14)),
            required_hours=Decimal(rng.randrange(0, 80)),
        )
    elif choice == 3:
        unit = rng.choice(units[1:])
        parent = rng.choice([u for u in units if not u.path.startswith(unit.path)] + [None])
        org.org_unit_update(unit=unit, parent=parent)
    elif choice == 4:
        make_assignment(
            rng.choice(employees),
            rng.choice(positions),
            state=rng.choice(["proposed", "approved", "active"]),
            actor=admin_user,
            start=day,
            hours=f"{rng.randrange(1, 20)}.00",
        )
    elif choice == 5:
        live = list(Assignment.objects.filter(state__in=["proposed", "approved", "active"]))
        if live:
            assignment = rng.choice(live)
            name = {"proposed": "approve", "approved": "cancel", "active": "end"}[assignment.state]
            transition_cascade(subject=assignment, transition=name, actor=admin_user, reason="")
    else:
        ledger_entry_create(
            employee=rng.choice(employees),
            kind="leave",
            start_date=day,
            end_date=day + dt.timedelta(days=rng.randrange(7)),
            hours_per_week=Decimal(-rng.randrange(1, 40)),
            note="",
            actor=admin_user,
        )


@pytest.fixture
def unthrottled(monkeypatch):
    # 1,200 report reads in one test: past the per-user rate (DRF's throttles copied the rates
    # when they were defined, so the class attribute is what counts).
    from rest_framework.throttling import SimpleRateThrottle

    rates = dict.fromkeys(SimpleRateThrottle.THROTTLE_RATES, "100000/hour")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)


def test_two_hundred_operations_each_report_reproduced_as_of_its_instant(
    as_admin, admin_user, unthrottled
):
    rng = random.Random(20261203)
    root = make_unit(name="Root")
    units = [root] + [make_unit(name=f"U{i}", parent=root) for i in range(4)]
    positions = [
        make_position(rng.choice(units), weekly_hours=Decimal(rng.randrange(10, 50)))
        for _ in range(5)
    ]
    employees = [
        make_employee(rng.choice(units), contract_hours=Decimal(rng.randrange(10, 45)))
        for _ in range(5)
    ]
    taken: list[tuple[dt.datetime, dict[str, list[dict]]]] = []
    for _ in range(200):
        try:
            with transaction.atomic():
                _operations(rng, admin_user, units, positions, employees)
        except (Conflict, Unprocessable, ProblemError, ValidationError):
            pass  # refused (an overlap, a rule): nothing written, a report all the same
        for u in units:
            u.refresh_from_db()
        taken.append((db_now(), snapshot(as_admin, depth=2)))
    for instant, answered in taken:
        assert snapshot(as_admin, depth=2, as_of=instant.isoformat()) == answered, instant
