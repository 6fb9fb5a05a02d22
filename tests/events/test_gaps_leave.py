"""Gap events from leave (DESIGN §10, §11): a ledger entry's event names the employee as its
subject, so the dispatcher checks the positions of the employee's assignments; leave takes
hours off them, so a week of leave for someone assigned full time opens that week's gap, and
reversing it closes the gap again. A hand-written entry counts like one a leave request wrote."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.events.models import Event
from apps.offer.services import ledger_entry_create, ledger_entry_reverse
from apps.reports.weeks import week_label, week_start
from tests.events.conftest import dispatch_all
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db(transaction=True)


def _monday() -> dt.date:
    return week_start(timezone.localdate())


def _gap_events(after_id: int) -> list[Event]:
    return list(
        Event.objects.filter(type__startswith="coveris.coverage.", id__gt=after_id).order_by("id")
    )


def _last_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def test_a_week_of_leave_for_a_fully_assigned_employee_opens_that_weeks_gap(admin_user):
    unit = make_unit("LEAVEGAP")
    start = _monday() - dt.timedelta(weeks=4)
    position = make_position(unit, start_date=start, weekly_hours=Decimal("40.00"))
    employee = make_employee(unit, hire_date=start, contract_hours=Decimal("40.00"))
    make_assignment(employee, position, state="active", actor=admin_user, start=start, hours="40")
    dispatch_all()

    mark = _last_id()
    next_week = _monday() + dt.timedelta(weeks=1)
    entry = ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=next_week,
        end_date=next_week + dt.timedelta(days=6),
        hours_per_week=Decimal("-40.00"),
        actor=admin_user,
    )
    dispatch_all()

    (opened,) = _gap_events(mark)
    assert opened.type == "coveris.coverage.gap_opened"
    assert opened.subject == f"position/{position.pk}"
    assert opened.data["weeks"] == [
        {
            "week": week_label(next_week),
            "week_start": next_week.isoformat(),
            "required": "40.00",
            "assigned": "0.00",
            "gap": "40.00",
            "gap_before": "0.00",
        }
    ]
    assert opened.data["hours"] == "40.00"
    assert f"ledger_entry:{entry.pk}" in opened.data["caused_by"]
    ledger_event = Event.objects.get(uid=f"ledger_entry:{entry.pk}")
    assert ledger_event.subject == f"employee/{employee.pk}"

    mark = _last_id()
    correction = ledger_entry_reverse(entry=entry, actor=admin_user)
    dispatch_all()
    (closed,) = _gap_events(mark)
    assert closed.type == "coveris.coverage.gap_closed"
    assert [(w["week"], w["gap"], w["gap_before"]) for w in closed.data["weeks"]] == [
        (week_label(next_week), "0.00", "40.00")
    ]
    assert f"ledger_entry:{correction.pk}" in closed.data["caused_by"]


def test_leave_that_the_free_hours_absorb_makes_no_gap_event(admin_user):
    unit = make_unit("LEAVEFREE")
    start = _monday() - dt.timedelta(weeks=4)
    position = make_position(unit, start_date=start, weekly_hours=Decimal("20.00"))
    employee = make_employee(unit, hire_date=start, contract_hours=Decimal("40.00"))
    make_assignment(employee, position, state="active", actor=admin_user, start=start, hours="20")
    dispatch_all()

    mark = _last_id()
    ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=_monday(),
        end_date=_monday() + dt.timedelta(days=6),
        hours_per_week=Decimal("-20.00"),
        actor=admin_user,
    )
    dispatch_all()
    assert _gap_events(mark) == []
    assert Event.objects.filter(id__gt=mark, type="coveris.ledger_entry.created").exists()
