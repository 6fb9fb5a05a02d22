"""Gap events (DESIGN §10): a committed change that opens or closes a coverage gap of at least
the unit's threshold within the next weeks emits coveris.coverage.gap_opened / gap_closed,
naming the position, the weeks and the hours. Run through the dispatcher as a worker runs it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from apps.events.models import Event, GapThreshold
from apps.fsm.services import transition_apply
from apps.org import services as org_services
from apps.reports.weeks import week_label, week_start
from tests.events.conftest import dispatch_all
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db(transaction=True)

WEEKS = 12


def _monday() -> dt.date:
    return week_start(timezone.localdate())


def _gap_events(after_id: int = 0) -> list[Event]:
    return list(
        Event.objects.filter(type__startswith="coveris.coverage.", id__gt=after_id).order_by("id")
    )


def _last_id() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


@pytest.fixture
def world(admin_user):
    unit = make_unit("GAPS")
    position = make_position(unit, start_date=_monday() - dt.timedelta(weeks=4))
    employee = make_employee(unit, hire_date=_monday() - dt.timedelta(weeks=4))
    dispatch_all()
    return unit, position, employee


def test_a_new_position_opens_a_gap_in_each_of_the_next_weeks(admin_user):
    unit = make_unit()
    position = make_position(unit, start_date=_monday(), weekly_hours=Decimal("30.00"))
    dispatch_all()
    (opened,) = _gap_events()
    assert opened.type == "coveris.coverage.gap_opened"
    assert opened.subject == f"position/{position.pk}"
    assert opened.org_unit_id == unit.pk
    weeks = opened.data["weeks"]
    assert [w["week"] for w in weeks] == [
        week_label(_monday() + dt.timedelta(weeks=i)) for i in range(WEEKS)
    ]
    assert {w["gap"] for w in weeks} == {"30.00"}
    assert opened.data["hours"] == "360.00"
    assert opened.data["position_code"] == position.code


def test_approving_an_assignment_closes_the_gap_and_ending_it_reopens_it(world, admin_user):
    _, position, employee = world
    mark = _last_id()
    assignment = make_assignment(
        employee,
        position,
        state="approved",
        actor=admin_user,
        start=_monday(),
        end=_monday() + dt.timedelta(weeks=2, days=6),
        hours="40.00",
    )
    dispatch_all()
    (closed,) = _gap_events(mark)
    assert closed.type == "coveris.coverage.gap_closed"
    assert [w["week"] for w in closed.data["weeks"]] == [
        week_label(_monday() + dt.timedelta(weeks=i)) for i in range(3)
    ]
    assert all(w["gap"] == "0.00" and w["gap_before"] == "40.00" for w in closed.data["weeks"])
    assert closed.data["caused_by"]

    mark = _last_id()
    transition_apply(subject=assignment, transition="cancel", actor=admin_user, reason="x")
    dispatch_all()
    (reopened,) = _gap_events(mark)
    assert reopened.type == "coveris.coverage.gap_opened"
    assert len(reopened.data["weeks"]) == 3


def test_a_gap_below_the_units_threshold_makes_no_event(world, admin_user):
    unit, position, employee = world
    GapThreshold.objects.create(org_unit=unit, hours=Decimal("8.00"))
    mark = _last_id()
    # 35 of 40 hours covered: a 5 h gap stays under 8 h, so the 40 h gap "closes".
    make_assignment(
        employee,
        position,
        state="approved",
        actor=admin_user,
        start=_monday(),
        end=_monday() + dt.timedelta(days=6),
        hours="35.00",
    )
    dispatch_all()
    (closed,) = _gap_events(mark)
    assert closed.type == "coveris.coverage.gap_closed"
    assert closed.data["threshold"] == "8.00"
    assert closed.data["weeks"][0]["gap"] == "5.00"


def test_a_child_unit_follows_its_ancestors_threshold(admin_user):
    parent = make_unit()
    GapThreshold.objects.create(org_unit=parent, hours=Decimal("50.00"))
    child = make_unit(parent=parent)
    make_position(child, start_date=_monday())
    dispatch_all()
    assert _gap_events() == []  # 40 h < 50 h


def test_a_change_that_moves_no_hours_makes_no_gap_event(world, admin_user):
    employee = world[2]
    mark = _last_id()
    org_services.employee_update(employee=employee, first_name="Renamed", actor=admin_user)
    dispatch_all()
    assert _gap_events(mark) == []
    assert Event.objects.filter(id__gt=mark, type="coveris.employee.updated").exists()
