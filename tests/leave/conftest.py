"""A small organisation for the leave tests: a unit with a position, an employee linked to the
employee user, assigned full time; a manager whose scope is the unit; an employee outside it.
And the few calls every leave test makes: ask for leave, run a transition, read a problem."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from apps.leave.models import LeaveEntitlement
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

# Leave is asked for ahead of today (2026-12-07 when written): weeks of 2027.
MONDAY = dt.date(2027, 3, 1)  # 2027-W09
FRIDAY = MONDAY + dt.timedelta(days=4)
SATURDAY = MONDAY + dt.timedelta(days=5)
SUNDAY = MONDAY + dt.timedelta(days=6)
NEXT_MONDAY = MONDAY + dt.timedelta(days=7)
HIRED = dt.date(2026, 1, 5)

LEAVE = "/api/v1/leave-requests/"
ENTITLEMENTS = "/api/v1/leave-entitlements/"


@dataclass
class Org:
    unit: Any
    position: Any
    employee: Any
    assignment: Any
    outside_unit: Any
    outsider: Any  # an employee in a unit outside the manager's scope


@pytest.fixture
def org(employee_user, manager_user) -> Org:
    unit = make_unit()
    position = make_position(unit, weekly_hours=Decimal("40.00"))
    employee = make_employee(unit, user=employee_user)
    assignment = make_assignment(employee, position, state="active", start=HIRED, hours="40.00")
    manager_user.scope.add(unit)
    LeaveEntitlement.objects.create(employee=employee, year=2027, kind="vacation", hours=80)
    outside_unit = make_unit()
    outsider = make_employee(outside_unit)
    return Org(unit, position, employee, assignment, outside_unit, outsider)


def day(d: dt.date) -> str:
    return d.isoformat()


def ask(client: Any, start: dt.date = MONDAY, end: dt.date = SUNDAY, **fields: Any) -> Any:
    """POST leave-requests/ (the caller's own employee unless `employee` is given)."""
    return client.post(
        LEAVE, {"start_date": day(start), "end_date": day(end), **fields}, format="json"
    )


def asked(client: Any, start: dt.date = MONDAY, end: dt.date = SUNDAY, **fields: Any) -> dict:
    """A request that was created (201), as the API answered it."""
    response = ask(client, start, end, **fields)
    assert response.status_code == 201, response.content
    return response.json()


def run(client: Any, pk: int, transition: str, **fields: Any) -> Any:
    return client.post(
        f"{LEAVE}{pk}/transitions/", {"transition": transition, **fields}, format="json"
    )


def ran(client: Any, pk: int, transition: str, **fields: Any) -> dict:
    response = run(client, pk, transition, **fields)
    assert response.status_code == 200, response.content
    return response.json()


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with `status` (and `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json"), response.content
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


LEAVE_TABLES = (
    "leave_leaverequest",
    "leave_leavetransitionlog",
    "leave_leaveentitlement",
    "offer_ledgerentry",
    "events_event",
    "core_change",
)


def table_counts(tables: tuple[str, ...] = LEAVE_TABLES) -> dict[str, int]:
    """Rows per table: what a read-only call must leave as it found it."""
    with connection.cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    return counts
