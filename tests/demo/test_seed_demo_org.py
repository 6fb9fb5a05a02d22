"""`manage.py seed_demo`: every state with its history, idempotent, chains verify."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.states import EmployeeState
from apps.fsm.verify import verify_log
from apps.org.models import Employee, OrgUnit, Position
from apps.users.models import User

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_creates_every_state_with_history_and_is_idempotent():
    output = seed(employees=40, positions=10, org_units=7)
    assert "admin@coveris.test" in output
    assert "employees: 40/40 new" in output
    assert User.objects.count() == 4
    assert OrgUnit.objects.count() == 7
    assert OrgUnit.objects.filter(parent__isnull=False).exclude(parent__parent=None).exists()
    assert Position.objects.count() == 10
    assert Employee.objects.count() == 40
    assert set(Employee.objects.values_list("state", flat=True)) == set(EmployeeState.values)
    for employee in Employee.objects.exclude(state=EmployeeState.CANDIDATE)[:10]:
        last = EmployeeTransitionLog.objects.filter(subject=employee).order_by("-id").first()
        assert last.to_state == employee.state
    assert verify_log(EmployeeTransitionLog)["ok"] is True
    # Every unit's path is its parent's path plus its own id.
    for unit in OrgUnit.objects.select_related("parent"):
        assert unit.path == f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
    manager = User.objects.get(email="manager@coveris.test")
    assert manager.scope.count() == 1
    assert Employee.objects.filter(user__email="employee@coveris.test").count() == 1

    logs = EmployeeTransitionLog.objects.count()
    again = seed(employees=40, positions=10, org_units=7)
    assert "(0 new)" in again
    assert Employee.objects.count() == 40
    assert EmployeeTransitionLog.objects.count() == logs


def test_seed_grows_on_request():
    seed(employees=10, positions=5, org_units=3)
    seed(employees=25, positions=8, org_units=5)
    assert Employee.objects.count() == 25
    assert Position.objects.count() == 8
    assert OrgUnit.objects.count() == 5


def test_if_empty_only_prints_logins_when_seeded():
    seed(employees=5, positions=2, org_units=2)
    output = seed(if_empty=True)
    assert "organisation" not in output
    assert "manager@coveris.test" in output
    assert Employee.objects.count() == 5


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError):
        seed(org_units=0)


def test_the_demo_history_lies_in_the_past_and_a_new_change_heads_the_stream(admin_user):
    from django.utils import timezone

    from apps.audit_log.models import AuditEntry
    from apps.fsm.services import transition_apply

    seed(employees=60, positions=15, org_units=7)
    now = timezone.now()
    assert AuditEntry.objects.count() > 0
    assert not AuditEntry.objects.filter(at__gt=now).exists()

    candidate = Employee.objects.filter(state=EmployeeState.CANDIDATE).first()
    assert candidate is not None
    transition_apply(subject=candidate, transition="start_onboarding", actor=admin_user)
    newest = AuditEntry.objects.order_by("-at", "-source", "-source_id").first()
    assert newest is not None
    assert (newest.entity_type, newest.entity_id) == ("employee", candidate.pk)
