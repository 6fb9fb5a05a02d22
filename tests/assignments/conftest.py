"""The world the assignment API tests share: a manager's scope, employees, positions."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps

from apps.fsm.services import transition_apply
from apps.org.models import Employee, OrgUnit, Position
from tests.factories.org import make_employee, make_position, make_unit

HIRED = dt.date(2025, 1, 6)


def active_employee(unit: OrgUnit, actor: Any, **kw: Any) -> Employee:
    """An employee hired in 2025 with 40 contract hours, brought to `active`."""
    kw.setdefault("contract_hours", Decimal("40.00"))
    kw.setdefault("hire_date", HIRED)
    employee = make_employee(unit, **kw)
    for name in ("start_onboarding", "activate"):
        employee, _ = transition_apply(subject=employee, transition=name, actor=actor)
    return employee


def row_counts() -> dict[str, int]:
    """The number of rows of every model (through tables included): "nothing was written"."""
    return {
        m._meta.label: m._default_manager.count()
        for m in apps.get_models(include_auto_created=True)
    }


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with `status` (and `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


@dataclass
class World:
    """`root_in` (and `child_in` below it) is the manager's scope; `root_out` is not. The
    employee user's own record (`emp_own`) sits in `root_out`."""

    root_in: OrgUnit
    child_in: OrgUnit
    root_out: OrgUnit
    pos_in: Position
    pos_out: Position
    emp_in: Employee
    emp_out: Employee
    emp_own: Employee


@pytest.fixture
def world(admin_user, manager_user, employee_user) -> World:
    root_in = make_unit("IN")
    child_in = make_unit("IN-1", parent=root_in)
    root_out = make_unit("OUT")
    manager_user.scope.add(root_in)
    return World(
        root_in=root_in,
        child_in=child_in,
        root_out=root_out,
        pos_in=make_position(child_in, code="POS-IN", start_date=HIRED),
        pos_out=make_position(root_out, code="POS-OUT", start_date=HIRED),
        emp_in=active_employee(child_in, admin_user, employee_number="E-IN"),
        emp_out=active_employee(root_out, admin_user, employee_number="E-OUT"),
        emp_own=active_employee(root_out, admin_user, employee_number="E-OWN", user=employee_user),
    )
