"""Every legal and illegal edge of the employee lifecycle, through the one transition path."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.fsm.exceptions import TransitionNotAllowed
from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.services import available_transitions, transition_apply
from apps.fsm.states import EmployeeState as S
from apps.fsm.verify import verify_log
from apps.org.models import Employee
from tests.factories.org import make_employee, make_unit

pytestmark = pytest.mark.django_db

LEGAL = {
    ("start_onboarding", S.CANDIDATE): S.ONBOARDING,
    ("activate", S.ONBOARDING): S.ACTIVE,
    ("start_leave", S.ACTIVE): S.ON_LEAVE,
    ("return_from_leave", S.ON_LEAVE): S.ACTIVE,
    ("suspend", S.ACTIVE): S.SUSPENDED,
    ("reinstate", S.SUSPENDED): S.ACTIVE,
    **{
        ("terminate", s): S.TERMINATED
        for s in (S.CANDIDATE, S.ONBOARDING, S.ACTIVE, S.ON_LEAVE, S.SUSPENDED)
    },
}
TRANSITIONS = sorted({name for name, _ in LEGAL})
# The shortest way to reach each state from candidate.
PATH = {
    S.CANDIDATE: [],
    S.ONBOARDING: ["start_onboarding"],
    S.ACTIVE: ["start_onboarding", "activate"],
    S.ON_LEAVE: ["start_onboarding", "activate", "start_leave"],
    S.SUSPENDED: ["start_onboarding", "activate", "suspend"],
    S.TERMINATED: ["terminate"],
}


def employee_in(state: S, actor) -> Employee:
    employee = make_employee(make_unit())
    for name in PATH[state]:
        employee, _ = transition_apply(subject=employee, transition=name, actor=actor)
    assert employee.state == state
    return employee


@pytest.mark.parametrize("state", list(S))
@pytest.mark.parametrize("name", TRANSITIONS)
def test_every_edge(state, name, admin_user):
    employee = employee_in(state, admin_user)
    logs_before = EmployeeTransitionLog.objects.filter(subject=employee).count()
    target = LEGAL.get((name, state))
    if target is None:
        with pytest.raises(TransitionNotAllowed) as info:
            transition_apply(subject=employee, transition=name, actor=admin_user)
        assert info.value.extra["current_state"] == state
        assert Employee.objects.get(pk=employee.pk).state == state
        assert EmployeeTransitionLog.objects.filter(subject=employee).count() == logs_before
    else:
        updated, log = transition_apply(
            subject=employee, transition=name, actor=admin_user, reason="because"
        )
        assert updated.state == target
        assert Employee.objects.get(pk=employee.pk).state == target
        assert (log.transition, log.from_state, log.to_state) == (name, state, target)
        assert log.actor == admin_user
        assert log.reason == "because"
        assert EmployeeTransitionLog.objects.filter(subject=employee).count() == logs_before + 1


def test_available_transitions_follow_state(admin_user, auditor_user):
    employee = employee_in(S.ACTIVE, admin_user)
    names = {
        t["name"]: t["target"] for t in available_transitions(subject=employee, actor=admin_user)
    }
    assert names == {"start_leave": "on_leave", "suspend": "suspended", "terminate": "terminated"}
    assert available_transitions(subject=employee, actor=auditor_user) == []


def test_state_cannot_be_assigned_directly(admin_user):
    employee = make_employee(make_unit())
    with pytest.raises(AttributeError):
        employee.state = S.ACTIVE


def test_log_rows_are_append_only_in_the_database(admin_user):
    employee = employee_in(S.ONBOARDING, admin_user)
    log = EmployeeTransitionLog.objects.get(subject=employee)
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EmployeeTransitionLog.objects.filter(pk=log.pk).update(reason="edited")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        EmployeeTransitionLog.objects.filter(pk=log.pk).delete()
    assert EmployeeTransitionLog.objects.get(pk=log.pk).reason == ""


def test_hash_chain_links_rows_and_verifies(admin_user):
    employee = employee_in(S.SUSPENDED, admin_user)
    rows = list(EmployeeTransitionLog.objects.filter(subject=employee).order_by("id"))
    assert len(rows) == 3
    assert rows[0].prev_hash == "0" * 64
    assert rows[1].prev_hash == rows[0].hash
    assert rows[2].prev_hash == rows[1].hash
    assert verify_log(EmployeeTransitionLog) == {"ok": True, "checked": 3, "first_broken": None}


def test_tampered_row_is_detected(admin_user):
    employee_in(S.ACTIVE, admin_user)
    victim = EmployeeTransitionLog.objects.order_by("id").first()
    table = EmployeeTransitionLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending FK checks
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(f"UPDATE {table} SET reason = 'rewritten' WHERE id = %s", [victim.pk])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    result = verify_log(EmployeeTransitionLog)
    assert result["ok"] is False
    assert result["first_broken"]["id"] == victim.pk
