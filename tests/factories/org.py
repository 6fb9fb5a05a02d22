"""Factories for org units, positions and employees (built through the services)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from itertools import count

from apps.org import services
from apps.org.models import Employee, OrgUnit, Position

_seq = count(1)


def make_unit(code: str | None = None, parent: OrgUnit | None = None, **kw) -> OrgUnit:
    n = next(_seq)
    return services.org_unit_create(
        code=code or f"U{n}", name=kw.pop("name", f"Unit {n}"), parent=parent, **kw
    )


def make_position(org_unit: OrgUnit, **kw) -> Position:
    n = next(_seq)
    fields = {
        "code": f"P{n}",
        "title": f"Position {n}",
        "org_unit": org_unit,
        "weekly_hours": Decimal("40.00"),
        "start_date": dt.date(2026, 1, 5),
    }
    fields.update(kw)
    return services.position_create(**fields)


def make_employee(org_unit: OrgUnit, **kw) -> Employee:
    n = next(_seq)
    fields = {
        "employee_number": f"E{n:05d}",
        "first_name": "Ann",
        "last_name": f"Smith{n}",
        "email": f"e{n}@example.test",
        "org_unit": org_unit,
        "contract_hours": Decimal("40.00"),
        "hire_date": dt.date(2026, 1, 5),
    }
    fields.update(kw)
    return services.employee_create(**fields)
