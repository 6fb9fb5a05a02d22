"""A small organisation for the leave tests: a unit with a position, an employee linked to the
employee user, assigned full time; a manager whose scope is the unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from apps.leave.models import LeaveEntitlement
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

# Leave is asked for ahead of today (2026-12-07 when written): weeks of 2027.
MONDAY = dt.date(2027, 3, 1)  # 2027-W09
FRIDAY = MONDAY + dt.timedelta(days=4)
SUNDAY = MONDAY + dt.timedelta(days=6)


@dataclass
class Org:
    unit: Any
    position: Any
    employee: Any
    assignment: Any


@pytest.fixture
def org(employee_user, manager_user) -> Org:
    unit = make_unit()
    position = make_position(unit, weekly_hours=Decimal("40.00"))
    employee = make_employee(unit, user=employee_user)
    assignment = make_assignment(
        employee, position, state="active", start=dt.date(2026, 1, 5), hours="40.00"
    )
    manager_user.scope.add(unit)
    LeaveEntitlement.objects.create(employee=employee, year=2027, kind="vacation", hours=80)
    return Org(unit, position, employee, assignment)
