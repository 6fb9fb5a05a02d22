"""Leave under concurrency, with real threads against PostgreSQL: two approvals that together
exceed the balance, two overlapping requests, two approvals of one request — each time exactly
one wins, and the ledger and the log hold only what the winner wrote."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from apps.fsm.verify import verify_log
from apps.leave.models import LeaveEntitlement, LeaveRequest, LeaveTransitionLog
from apps.offer.models import LedgerEntry
from tests.concurrency import race
from tests.conftest import bearer
from tests.factories.assignments import only_rule
from tests.leave.conftest import LEAVE, MONDAY, NEXT_MONDAY, SUNDAY, asked, day

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def statuses(responses) -> list:
    return sorted(getattr(r, "status_code", r) for r in responses)


def test_two_approvals_over_the_balance_exactly_one_passes(org, as_employee, manager_user):
    only_rule("balance", "leave_balance", {})
    LeaveEntitlement.objects.filter(employee=org.employee).update(hours=40)
    first = asked(as_employee, hours="24")
    second = asked(as_employee, NEXT_MONDAY, NEXT_MONDAY + dt.timedelta(days=6), hours="24")
    pending = [first["id"], second["id"]]

    def approve():
        client = bearer(APIClient(), manager_user)
        return client.post(
            f"{LEAVE}{pending.pop()}/transitions/", {"transition": "approve"}, format="json"
        )

    responses = race(approve, n=2)

    assert statuses(responses) == [200, 422], responses
    (loser,) = [r for r in responses if r.status_code == 422]
    assert loser.json()["code"] == "rule_violation"
    assert loser.json()["violations"][0]["facts"]["approved"] == "24.00"
    states = sorted(LeaveRequest.objects.values_list("state", flat=True))
    assert states == ["approved", "requested"]
    assert LedgerEntry.objects.filter(kind="leave").count() == 1
    balance = as_employee.get(f"/api/v1/employees/{org.employee.pk}/leave-balance/?year=2027")
    assert (balance.json()["approved"], balance.json()["remaining"]) == ("24.00", "16.00")


def test_concurrent_overlapping_requests_exactly_one_is_created(org, employee_user):
    def ask():
        client = bearer(APIClient(), employee_user)
        return client.post(
            LEAVE, {"start_date": day(MONDAY), "end_date": day(SUNDAY)}, format="json"
        )

    responses = race(ask)

    assert statuses(responses) == [201] + [409] * (THREADS - 1), responses
    (winner,) = [r for r in responses if r.status_code == 201]
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json()["code"] == "leave_overlap"
        assert loser.json()["conflicting_request"] == winner.json()["id"]
    assert LeaveRequest.objects.count() == 1
    assert LeaveTransitionLog.objects.count() == 1


def test_concurrent_approvals_of_one_request_exactly_one_wins(org, as_employee, manager_user):
    body = asked(as_employee)
    clients = [bearer(APIClient(), manager_user) for _ in range(THREADS)]
    url = f"{LEAVE}{body['id']}/transitions/"

    responses = race(lambda: clients.pop().post(url, {"transition": "approve"}, format="json"))

    assert statuses(responses) == [200] + [409] * (THREADS - 1), responses
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json()["code"] == "transition_not_allowed"
        assert loser.json()["current_state"] == "approved"
    assert LeaveRequest.objects.get(pk=body["id"]).state == "approved"
    assert LedgerEntry.objects.count() == 1
    rows = LeaveTransitionLog.objects.filter(subject_id=body["id"])
    assert rows.filter(transition="approve").count() == 1
    assert verify_log(LeaveTransitionLog)["ok"] is True


def test_concurrent_approve_and_cancel_leave_a_consistent_ledger(org, as_employee, manager_user):
    body = asked(as_employee)
    url = f"{LEAVE}{body['id']}/transitions/"
    names = ["approve", "cancel", "approve", "cancel"]

    def decide():
        client = bearer(APIClient(), manager_user)
        return client.post(url, {"transition": names.pop()}, format="json")

    responses = race(decide, n=len(names))

    assert all(getattr(r, "status_code", None) in {200, 409} for r in responses), responses
    state = LeaveRequest.objects.get(pk=body["id"]).state
    entries = list(LedgerEntry.objects.order_by("id").values_list("kind", "hours_per_week"))
    if state == "approved":
        assert [kind for kind, _ in entries] == ["leave"]
    else:
        assert state == "cancelled"
        # Either cancelled while requested (nothing written) or approved, then reversed.
        assert sum(rate for _, rate in entries) == 0
    assert verify_log(LeaveTransitionLog)["ok"] is True
