"""Concurrent transitions with real threads against PostgreSQL: exactly one wins."""

from __future__ import annotations

import pytest

from apps.fsm.exceptions import TransitionNotAllowed
from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.services import transition_apply
from apps.fsm.verify import verify_log
from apps.org.models import Employee
from tests.concurrency import THREADS, race
from tests.factories.org import make_employee, make_unit


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["start_onboarding", "terminate"])
def test_exactly_one_of_concurrent_identical_transitions_wins(name, admin_user):
    employee = make_employee(make_unit())
    results = race(lambda: transition_apply(subject=employee, transition=name, actor=admin_user))
    wins = [r for r in results if isinstance(r, tuple)]
    losses = [r for r in results if isinstance(r, TransitionNotAllowed)]
    assert len(wins) == 1, results
    assert len(losses) == THREADS - 1, results
    assert all(loss.status_code == 409 for loss in losses)
    assert EmployeeTransitionLog.objects.filter(subject=employee).count() == 1
    assert verify_log(EmployeeTransitionLog)["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_concurrent_different_transitions_keep_state_and_log_consistent(admin_user):
    employee = make_employee(make_unit())
    transition_apply(subject=employee, transition="start_onboarding", actor=admin_user)
    transition_apply(subject=employee, transition="activate", actor=admin_user)
    names = ["start_leave", "suspend", "terminate", "start_leave"]
    results = race(
        lambda: transition_apply(subject=employee, transition=names.pop(), actor=admin_user), n=4
    )
    wins = [r for r in results if isinstance(r, tuple)]
    assert len(wins) >= 1
    employee.refresh_from_db()
    last = EmployeeTransitionLog.objects.filter(subject=employee).order_by("-id").first()
    assert last.to_state == Employee.objects.get(pk=employee.pk).state
    assert verify_log(EmployeeTransitionLog)["ok"] is True
