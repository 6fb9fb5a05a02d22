"""Races through the API with real threads against PostgreSQL (transaction=True).

Every transition of both lifecycles is raced by N identical requests: exactly one wins (200),
the others lose with 409, and the log holds exactly one row for it. The same ledger reversal
posted concurrently makes one correction; two admins editing one employee with the same
If-Match cannot lose an update. Afterwards every hash chain still verifies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.audit_log.verification import verify_all
from apps.business_rules.models import BusinessRule
from apps.fsm.lifecycles import lifecycle_for
from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.services import transition_apply
from apps.offer.models import LedgerEntry
from apps.offer.services import ledger_entry_create
from apps.org.models import Employee
from apps.users.models import Role
from tests.assignments.conftest import active_employee
from tests.concurrency import race
from tests.conftest import bearer
from tests.factories.assignments import make_assignment, only_rule
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.users import UserFactory

THREADS = 6

# The transitions that lead to the state each employee transition starts from.
EMPLOYEE_PATHS: dict[str, list[str]] = {
    "start_onboarding": [],
    "activate": ["start_onboarding"],
    "start_leave": ["start_onboarding", "activate"],
    "return_from_leave": ["start_onboarding", "activate", "start_leave"],
    "suspend": ["start_onboarding", "activate"],
    "reinstate": ["start_onboarding", "activate", "suspend"],
    "terminate": ["start_onboarding", "activate"],
}
# The state each assignment transition starts from.
ASSIGNMENT_SOURCES: dict[str, str] = {
    "approve": "proposed",
    "activate": "approved",
    "end": "active",
    "cancel": "proposed",
    "reject": "proposed",
}

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def admin(admin_user):
    # Rules are not what these races are about: an assignment that a rule blocks would 422.
    BusinessRule.objects.update(enabled=False)
    return admin_user


def clients_for(user: Any, n: int = THREADS) -> list[APIClient]:
    """One bearer client per thread, made before the race starts."""
    return [bearer(APIClient(), user) for _ in range(n)]


def assert_one_winner(responses: list[Any], winner: int = 200) -> tuple[Any, list[Any]]:
    """Exactly one response is `winner`; the others are 409 transition_not_allowed."""
    statuses = sorted(str(getattr(r, "status_code", repr(r))) for r in responses)
    assert statuses == sorted(str(s) for s in [winner] + [409] * (len(responses) - 1)), responses
    won = next(r for r in responses if r.status_code == winner)
    lost = [r for r in responses if r is not won]
    for loser in lost:
        assert loser["Content-Type"] == "application/problem+json"
        assert loser.json()["code"] == "transition_not_allowed", loser.json()
    return won, lost


def assert_chains_verify(*, rows: bool = True) -> None:
    """Every hash chain of every log verifies (and, when `rows`, there is something in them)."""
    result = verify_all()
    assert result["ok"] is True, result
    assert result["checked"] > 0 or not rows, result


def test_the_races_cover_every_transition():
    """A transition added to either lifecycle must be added to the races below."""
    assert set(EMPLOYEE_PATHS) == set(lifecycle_for(Employee).all_transitions())
    assert set(ASSIGNMENT_SOURCES) == set(lifecycle_for(Assignment).all_transitions())


@pytest.mark.parametrize("name", list(EMPLOYEE_PATHS))
def test_concurrent_employee_transition_has_exactly_one_effect(name, admin):
    employee = make_employee(make_unit(), hire_date=dt.date(2025, 1, 6))
    for step in EMPLOYEE_PATHS[name]:
        employee, _ = transition_apply(subject=employee, transition=step, actor=admin)
    # A terminated employee's open assignment ends with them: that side effect must happen once.
    assignment = make_assignment(employee, make_position(employee.org_unit), state="approved")
    logs_before = EmployeeTransitionLog.objects.filter(subject=employee).count()
    clients = clients_for(admin)
    url = f"/api/v1/employees/{employee.pk}/transitions/"

    responses = race(
        lambda: clients.pop().post(url, {"transition": name}, format="json"), n=THREADS
    )

    won, lost = assert_one_winner(responses)
    target = lifecycle_for(Employee).all_transitions()[name]
    assert won.json()["state"] == target
    assert all(loser.json()["current_state"] == target for loser in lost)
    employee.refresh_from_db()
    assert employee.state == target
    logs = EmployeeTransitionLog.objects.filter(subject=employee)
    assert logs.count() == logs_before + 1
    assert logs.filter(transition=name).count() == 1 + EMPLOYEE_PATHS[name].count(name)
    assert logs.order_by("-id").first().to_state == target
    assignment_logs = AssignmentTransitionLog.objects.filter(subject=assignment)
    if name == "terminate":
        assert Assignment.objects.get(pk=assignment.pk).state == "cancelled"
        assert assignment_logs.filter(transition="cancel").count() == 1
    else:
        assert Assignment.objects.get(pk=assignment.pk).state == "approved"
        assert not assignment_logs.filter(transition="cancel").exists()
    assert_chains_verify()


@pytest.mark.parametrize("name", list(ASSIGNMENT_SOURCES))
def test_concurrent_assignment_transition_has_exactly_one_effect(name, admin):
    unit = make_unit()
    employee = active_employee(unit, admin)
    assignment = make_assignment(
        employee, make_position(unit), state=ASSIGNMENT_SOURCES[name], actor=admin
    )
    logs_before = AssignmentTransitionLog.objects.filter(subject=assignment).count()
    clients = clients_for(admin)
    url = f"/api/v1/assignments/{assignment.pk}/transitions/"

    responses = race(
        lambda: clients.pop().post(url, {"transition": name}, format="json"), n=THREADS
    )

    won, lost = assert_one_winner(responses)
    target = lifecycle_for(Assignment).all_transitions()[name]
    assert won.json()["state"] == target
    assert all(loser.json()["current_state"] == target for loser in lost)
    assert Assignment.objects.get(pk=assignment.pk).state == target
    logs = AssignmentTransitionLog.objects.filter(subject=assignment)
    assert logs.count() == logs_before + 1
    assert logs.filter(transition=name).count() == 1
    last = logs.order_by("-id").first()
    assert (last.transition, last.to_state, last.actor_id) == (name, target, admin.pk)
    assert_chains_verify()


@pytest.mark.parametrize("n", [2, THREADS])
def test_same_ledger_reversal_posted_concurrently_makes_one_correction(n, admin):
    employee = make_employee(make_unit())
    entry = ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 15),
        hours_per_week=Decimal("-16.00"),
        actor=admin,
    )
    clients = clients_for(admin, n)
    url = f"/api/v1/hours-ledger/{entry.pk}/reverse/"

    responses = race(lambda: clients.pop().post(url, {}, format="json"), n=n)

    statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
    assert statuses == [201] + [409] * (n - 1), responses
    for loser in (r for r in responses if r.status_code == 409):
        assert loser.json()["code"] == "already_reversed"
    corrections = LedgerEntry.objects.filter(reverses=entry)
    assert corrections.count() == 1
    correction = corrections.get()
    assert correction.kind == "correction"
    assert correction.hours_per_week == Decimal("16.00")
    assert LedgerEntry.objects.filter(employee=employee).count() == 2
    assert_chains_verify()


ROUNDS = 3
SKEW_ROUNDS = 5


def test_two_admins_editing_one_employee_with_one_etag_lose_no_update(admin):
    other_admin = UserFactory(role=Role.ADMIN, email="second-admin@example.test")
    employee = make_employee(make_unit())
    url = f"/api/v1/employees/{employee.pk}/"
    for round_ in range(ROUNDS):
        read = bearer(APIClient(), admin).get(url)
        assert read.status_code == 200
        etag = read["ETag"]
        edits = [
            (bearer(APIClient(), user), f"{label}-{round_}")
            for user, label in ((admin, "First"), (other_admin, "Second"))
        ]

        def edit(edits: list[tuple[APIClient, str]] = edits, etag: str = etag) -> Any:
            client, value = edits.pop()
            response = client.patch(url, {"last_name": value}, format="json", HTTP_IF_MATCH=etag)
            response.sent_value = value  # type: ignore[attr-defined]
            return response

        responses = race(edit, n=2)

        statuses = sorted(getattr(r, "status_code", repr(r)) for r in responses)
        assert statuses == [200, 412], responses
        won = next(r for r in responses if r.status_code == 200)
        lost = next(r for r in responses if r.status_code == 412)
        assert lost.json()["code"] == "precondition_failed"
        # The loser is told the winner's ETag, and the winner's value is the one stored.
        assert lost.json()["current_etag"] == won["ETag"]
        assert won.json()["last_name"] == won.sent_value
        assert Employee.objects.get(pk=employee.pk).last_name == won.sent_value
        assert bearer(APIClient(), admin).get(url)["ETag"] == won["ETag"] != etag
    assert_chains_verify(rows=False)


# --- Races between different subjects that share an employee ----------------------------------


def test_concurrent_approvals_for_one_employee_cannot_both_pass_the_hours_cap(admin):
    """Each 30-hour assignment fits under the 48-hour cap alone, not both: approving them at
    the same time must not let both through (no write skew)."""
    only_rule("cap-48", "max_weekly_hours", {"max_hours": "48.00"})
    unit = make_unit()
    for _ in range(SKEW_ROUNDS):
        employee = active_employee(unit, admin)
        pair = [make_assignment(employee, make_position(unit), hours="30.00") for _ in range(2)]
        jobs = [
            (client, f"/api/v1/assignments/{a.pk}/transitions/")
            for client, a in zip(clients_for(admin, 2), pair, strict=True)
        ]

        def approve(jobs: list[tuple[APIClient, str]] = jobs) -> Any:
            client, url = jobs.pop()
            return client.post(url, {"transition": "approve"}, format="json")

        responses = race(approve, n=2)

        statuses = sorted(str(getattr(r, "status_code", repr(r))) for r in responses)
        assert statuses == ["200", "422"], responses
        blocked = next(r for r in responses if r.status_code == 422)
        assert blocked.json()["code"] == "rule_violation"
        states = sorted(
            Assignment.objects.filter(employee=employee).values_list("state", flat=True)
        )
        assert states == ["approved", "proposed"]
    assert_chains_verify()


def _propose_and_terminate(admin: Any, employee: Employee, position: Any) -> dict[str, Any]:
    """A proposal for `employee` and their termination, released together: their responses."""
    propose, terminate = clients_for(admin, 2)
    jobs: list[Callable[[], tuple[str, Any]]] = [
        lambda: (
            "propose",
            propose.post(
                "/api/v1/assignments/",
                {
                    "employee": employee.pk,
                    "position": position.pk,
                    "start_date": "2026-03-02",
                    "weekly_hours": "10.00",
                },
                format="json",
            ),
        ),
        lambda: (
            "terminate",
            terminate.post(
                f"/api/v1/employees/{employee.pk}/transitions/",
                {"transition": "terminate"},
                format="json",
            ),
        ),
    ]
    results = race(lambda: jobs.pop()(), n=2)
    assert all(isinstance(result, tuple) for result in results), results
    return dict(results)  # type: ignore[arg-type]


def test_proposal_racing_termination_leaves_no_open_assignment(admin):
    """Either the proposal lands first and the termination cancels it, or the termination
    lands first and the proposal is refused: never an open assignment of a leaver."""
    unit = make_unit()
    position = make_position(unit)
    for _ in range(SKEW_ROUNDS):
        employee = active_employee(unit, admin)

        responses = _propose_and_terminate(admin, employee, position)

        proposed, terminated = responses["propose"], responses["terminate"]

        assert terminated.status_code == 200, terminated.content
        assert proposed.status_code in (201, 409), proposed.content
        if proposed.status_code == 409:
            assert proposed.json()["code"] == "employee_terminated"
        open_states = ("proposed", "approved", "active")
        assert not Assignment.objects.filter(employee=employee, state__in=open_states).exists()
    assert_chains_verify()
