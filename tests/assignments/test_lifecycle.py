"""The assignment lifecycle and the termination side effect."""

from __future__ import annotations

import pytest

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.business_rules.models import BusinessRule
from apps.fsm.exceptions import TransitionNotAllowed
from apps.fsm.services import transition_apply
from apps.fsm.verify import verify_log
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

LEGAL = {
    ("approve", "proposed"): "approved",
    ("activate", "approved"): "active",
    ("end", "active"): "ended",
    ("cancel", "proposed"): "cancelled",
    ("cancel", "approved"): "cancelled",
    ("reject", "proposed"): "rejected",
}
STATES = ["proposed", "approved", "active", "ended", "cancelled", "rejected"]
NAMES = ["approve", "activate", "end", "cancel", "reject"]


@pytest.fixture(autouse=True)
def _no_rules():
    BusinessRule.objects.update(enabled=False)


@pytest.fixture
def setup(admin_user):
    unit = make_unit()
    employee = make_employee(unit)
    for name in ("start_onboarding", "activate"):
        employee, _ = transition_apply(subject=employee, transition=name, actor=admin_user)
    return employee, make_position(unit)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("name", NAMES)
def test_every_edge(state, name, setup, admin_user):
    employee, position = setup
    assignment = make_assignment(employee, position, state=state, actor=admin_user)
    before = AssignmentTransitionLog.objects.filter(subject=assignment).count()
    target = LEGAL.get((name, state))
    if target is None:
        with pytest.raises(TransitionNotAllowed):
            transition_apply(subject=assignment, transition=name, actor=admin_user)
        assert Assignment.objects.get(pk=assignment.pk).state == state
        assert AssignmentTransitionLog.objects.filter(subject=assignment).count() == before
    else:
        updated, log = transition_apply(subject=assignment, transition=name, actor=admin_user)
        assert updated.state == target
        assert (log.from_state, log.to_state, log.actor) == (state, target, admin_user)


def test_ending_sets_end_date(setup, admin_user):
    employee, position = setup
    assignment = make_assignment(employee, position, state="active", actor=admin_user)
    updated, _ = transition_apply(subject=assignment, transition="end", actor=admin_user)
    assert updated.end_date is not None
    assert Assignment.objects.get(pk=assignment.pk).end_date == updated.end_date


def test_termination_ends_open_assignments_in_the_same_transaction(setup, admin_user):
    employee, position = setup
    active = make_assignment(employee, position, state="active", actor=admin_user)
    approved = make_assignment(employee, position, state="approved", actor=admin_user)
    proposed = make_assignment(employee, position, state="proposed", actor=admin_user)
    ended = make_assignment(employee, position, state="ended", actor=admin_user)
    employee, log = transition_apply(
        subject=employee, transition="terminate", actor=admin_user, reason="left"
    )
    assert employee.state == "terminated"
    assert employee.termination_date is not None
    states = dict(Assignment.objects.values_list("pk", "state"))
    assert states == {
        active.pk: "ended",
        approved.pk: "cancelled",
        proposed.pk: "cancelled",
        ended.pk: "ended",
    }
    side_logs = AssignmentTransitionLog.objects.filter(metadata__cause__employee_log=log.pk)
    assert side_logs.count() == 3
    assert {row.actor for row in side_logs} == {admin_user}
    assert verify_log(AssignmentTransitionLog)["ok"] is True


def test_failed_side_effect_rolls_back_the_termination(setup, admin_user, monkeypatch):
    employee, position = setup
    active = make_assignment(employee, position, state="active", actor=admin_user)
    from apps.assignments import models

    def broken(self):
        raise RuntimeError("disk full")

    monkeypatch.setattr(models.Assignment, "end", broken)
    with pytest.raises(Exception, match=r"disk full|end"):
        transition_apply(subject=employee, transition="terminate", actor=admin_user)
    employee.refresh_from_db()
    assert employee.state == "active"
    assert Assignment.objects.get(pk=active.pk).state == "active"
