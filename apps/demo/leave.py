"""Demo leave: every employee's vacation entitlement for this year and next, the two leave
rules, and a few requests of the demo employee (pending, approved) through the services, so
that the SPA and the admin's leave calendar have something to show."""

from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.business_rules.models import BusinessRule
from apps.core.exceptions import ProblemError
from apps.demo.copy import copy_create
from apps.demo.lanes import Lanes
from apps.fsm.services import transition_cascade
from apps.leave.models import LeaveEntitlement, LeaveKind, LeaveRequest
from apps.leave.services import leave_request_create
from apps.org.models import Employee

BATCH = 5000
# Five weeks of a 40-hour contract.
VACATION_HOURS = Decimal("200.00")

RULES = (
    {
        "code": "LEAVE-BALANCE",
        "name": "Vacation within the year's entitlement",
        "kind": "leave_balance",
        "params": {"kinds": [LeaveKind.VACATION.value]},
        "severity": "error",
        "transitions": ["approve"],
    },
    {
        "code": "LEAVE-GAP",
        "name": "Leave that opens coverage gaps is flagged",
        "kind": "leave_opens_gap",
        "params": {"max_gap_hours": "0.00"},
        "severity": "warning",
        "transitions": ["approve"],
    },
)


def seed_entitlements(*, years: list[int], say: Any, lanes: int = 1) -> None:
    """A vacation entitlement per employee and year, for those who have none yet."""

    def write(year: int, employees: list[int]) -> None:
        copy_create(
            LeaveEntitlement,
            [
                LeaveEntitlement(
                    employee_id=pk,
                    year=year,
                    kind=LeaveKind.VACATION,
                    hours=VACATION_HOURS,
                    note="demo data",
                )
                for pk in employees
            ],
        )

    for year in years:
        have = set(
            LeaveEntitlement.objects.filter(year=year, kind=LeaveKind.VACATION).values_list(
                "employee_id", flat=True
            )
        )
        missing = [pk for pk in Employee.objects.values_list("id", flat=True) if pk not in have]
        with Lanes(lanes) as pool:
            for n, i in enumerate(range(0, len(missing), BATCH)):
                pool.submit(n, functools.partial(write, year, missing[i : i + BATCH]))
        say(f"  leave entitlements {year}: {len(missing)} new")


def seed_rules() -> None:
    for rule in RULES:
        if not BusinessRule.objects.filter(code__iexact=rule["code"]).exists():
            BusinessRule.objects.create(**rule)


@transaction.atomic
def seed_requests(*, users: dict[str, Any], say: Any) -> None:
    """Two requests of the demo employee in the coming weeks: one approved, one pending."""
    person = users.get("employee")
    employee = Employee.objects.filter(user=person).first() if person else None
    if employee is None or LeaveRequest.objects.filter(employee=employee).exists():
        say("  leave requests: present or no demo employee (0 new)")
        return
    admin = users.get("admin")
    today = timezone.localdate()
    monday = today + dt.timedelta(days=7 - today.weekday() + 14)  # in three weeks
    if monday.year != (monday + dt.timedelta(days=18)).year:
        monday = dt.date(monday.year + 1, 1, 11)
        monday -= dt.timedelta(days=monday.weekday())
    try:
        _two_requests(employee, person, admin, monday)
    except ProblemError as exc:  # e.g. a demo employee without contract hours
        say(f"  leave requests: none ({exc.detail})")
        return
    say("  leave requests: 2 new (1 approved, 1 pending)")


def _two_requests(employee: Employee, person: Any, admin: Any, monday: dt.date) -> None:
    approved = leave_request_create(
        actor=admin,
        employee=employee,
        kind=LeaveKind.VACATION,
        start_date=monday,
        end_date=monday + dt.timedelta(days=4),
        note="demo: a week off",
    )
    transition_cascade(subject=approved, transition="approve", actor=admin, reason="demo")
    leave_request_create(
        actor=person,
        employee=employee,
        kind=LeaveKind.VACATION,
        start_date=monday + dt.timedelta(days=14),
        end_date=monday + dt.timedelta(days=16),
        note="demo: a long weekend",
    )


def seed_leave(*, users: dict[str, Any], say: Any, lanes: int = 1) -> None:
    year = timezone.localdate().year
    seed_entitlements(years=[year, year + 1], say=say, lanes=lanes)
    seed_rules()
    seed_requests(users=users, say=say)
