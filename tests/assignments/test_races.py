"""Concurrent approvals of one assignment through the API, with real threads and PostgreSQL:
exactly one request wins, the others get 409, and the log holds one 'approve' row."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.fsm.verify import verify_log
from tests.assignments.conftest import active_employee
from tests.concurrency import race
from tests.conftest import bearer
from tests.factories.assignments import make_assignment, only_rule
from tests.factories.org import make_position, make_unit

THREADS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("role", ["admin", "manager"])
def test_exactly_one_concurrent_approve_wins(role, admin_user, manager_user):
    # A rule is evaluated inside the lock by every request that gets that far.
    only_rule("cap-48", "max_weekly_hours", {"max_hours": "48.00"})
    unit = make_unit()
    manager_user.scope.add(unit)
    assignment = make_assignment(active_employee(unit, admin_user), make_position(unit))
    user = {"admin": admin_user, "manager": manager_user}[role]
    clients = [bearer(APIClient(), user) for _ in range(THREADS)]
    url = f"/api/v1/assignments/{assignment.pk}/transitions/"

    responses = race(lambda: clients.pop().post(url, {"transition": "approve"}, format="json"))

    statuses = sorted(getattr(r, "status_code", r) for r in responses)
    assert statuses == [200] + [409] * (THREADS - 1), responses
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json()["code"] == "transition_not_allowed"
        assert loser.json()["current_state"] == "approved"
    assert Assignment.objects.get(pk=assignment.pk).state == "approved"
    rows = AssignmentTransitionLog.objects.filter(subject=assignment)
    assert rows.filter(transition="approve").count() == 1
    assert rows.get().actor == user
    assert verify_log(AssignmentTransitionLog)["ok"] is True
