"""The role matrix of assignments/ (DESIGN.md section 5): every endpoint × every role.

Actors: an HR admin, a manager on an assignment in their scope and on one outside it, an auditor,
an employee on their own assignment and on someone else's, and an anonymous caller. Objects
outside the caller's scope are 404, forbidden writes 403, anonymous requests 401, and a refused
request leaves every row of every table as it was.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.business_rules.models import BusinessRule
from tests.assignments.conftest import World, problem, row_counts
from tests.factories.assignments import MONDAY, make_assignment

pytestmark = pytest.mark.django_db

URL = "/api/v1/assignments/"
# actor: (role of the client, which assignment it acts on)
ACTORS = {
    "admin": ("admin", "out"),
    "manager_in": ("manager", "in"),
    "manager_out": ("manager", "out"),
    "auditor": ("auditor", "out"),
    "employee_self": ("employee", "own"),
    "employee_other": ("employee", "in"),
    "anonymous": ("anonymous", "in"),
}
READ = {
    "admin": 200,
    "manager_in": 200,
    "manager_out": 404,
    "auditor": 200,
    "employee_self": 200,
    "employee_other": 404,
    "anonymous": 401,
}
# PATCH, and the transitions a manager may run (approve, cancel).
MANAGER_WRITE = {**READ, "auditor": 403, "employee_self": 403}
# The transitions only HR admins run (activate, reject).
ADMIN_WRITE = {**MANAGER_WRITE, "manager_in": 403}
# Writes without an object: the manager's payload names in-scope or out-of-scope records.
COLLECTION_WRITE = {
    "admin": 201,
    "manager_in": 201,
    "manager_out": 400,
    "auditor": 403,
    "employee_self": 403,
    "employee_other": 403,
    "anonymous": 401,
}
PROBLEM_CODES = {401: "not_authenticated", 403: "permission_denied", 404: "not_found"}


@pytest.fixture(autouse=True)
def _no_default_rules(db) -> None:
    BusinessRule.objects.update(enabled=False)


@pytest.fixture
def targets(world: World, admin_user) -> dict[str, Assignment]:
    """A proposed assignment in the manager's scope, one outside it, and the employee's own."""
    return {
        "in": make_assignment(world.emp_in, world.pos_in, actor=admin_user),
        "out": make_assignment(world.emp_out, world.pos_out, actor=admin_user),
        "own": make_assignment(world.emp_own, world.pos_out, actor=admin_user),
    }


def client_for(actor: str, request: pytest.FixtureRequest) -> APIClient:
    role = ACTORS[actor][0]
    if role == "anonymous":
        return APIClient()
    client: APIClient = request.getfixturevalue(f"as_{role}")
    return client


def snapshot() -> dict[str, Any]:
    """Every assignment row and log row, and the row count of every table."""
    return {
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "logs": list(AssignmentTransitionLog.objects.order_by("pk").values()),
        "counts": row_counts(),
    }


def check(response: Any, expected: int, before: dict[str, Any]) -> None:
    """The status; a refusal is a problem document with its code and writes nothing."""
    assert response.status_code == expected, (expected, response.content)
    if expected >= 400:
        body = problem(response, expected)
        if expected in PROBLEM_CODES:
            assert body["code"] == PROBLEM_CODES[expected], body
        assert snapshot() == before


def assignment_payload(world: World, actor: str) -> dict[str, Any]:
    scope = ACTORS[actor][1]
    employee, position = (
        (world.emp_out, world.pos_out) if scope == "out" else (world.emp_in, world.pos_in)
    )
    return {
        "employee": employee.pk,
        "position": position.pk,
        "start_date": MONDAY.isoformat(),
        "end_date": (MONDAY + dt.timedelta(days=27)).isoformat(),
        "weekly_hours": "10.00",
    }


@pytest.mark.parametrize("actor", list(ACTORS))
def test_list(actor, request, targets):
    client = client_for(actor, request)
    before = snapshot()

    response = client.get(URL)

    check(response, 401 if actor == "anonymous" else 200, before)
    if actor == "anonymous":
        return
    seen = {row["id"] for row in response.json()["results"]}
    visible = {
        "admin": {"in", "out", "own"},
        "auditor": {"in", "out", "own"},
        "manager_in": {"in"},
        "manager_out": {"in"},
        "employee_self": {"own"},
        "employee_other": {"own"},
    }[actor]
    assert seen == {targets[name].pk for name in visible}


@pytest.mark.parametrize("endpoint", ["", "history/", "violations/"])
@pytest.mark.parametrize("actor", list(ACTORS))
def test_reads(actor, endpoint, request, targets):
    client = client_for(actor, request)
    target = targets[ACTORS[actor][1]]
    before = snapshot()

    response = client.get(f"{URL}{target.pk}/{endpoint}")

    check(response, READ[actor], before)
    if response.status_code == 200 and endpoint == "":
        assert response.json()["id"] == target.pk


@pytest.mark.parametrize("method", ["patch", "put"])
@pytest.mark.parametrize("actor", list(ACTORS))
def test_edit(actor, method, request, world, targets):
    client = client_for(actor, request)
    target = targets[ACTORS[actor][1]]
    body = {
        "employee": target.employee_id,
        "position": target.position_id,
        "start_date": MONDAY.isoformat(),
        "weekly_hours": "12.00",
    }
    before = snapshot()

    response = getattr(client, method)(f"{URL}{target.pk}/", body, format="json")

    check(response, MANAGER_WRITE[actor], before)
    if response.status_code == 200:
        assert str(Assignment.objects.get(pk=target.pk).weekly_hours) == "12.00"


@pytest.mark.parametrize("actor", list(ACTORS))
def test_delete_does_not_exist(actor, request, targets):
    client = client_for(actor, request)
    target = targets[ACTORS[actor][1]]
    before = snapshot()

    response = client.delete(f"{URL}{target.pk}/")

    check(response, 401 if actor == "anonymous" else 405, before)


@pytest.mark.parametrize(
    ("name", "state", "target_state", "expected"),
    [
        ("approve", "proposed", "approved", MANAGER_WRITE),
        ("cancel", "proposed", "cancelled", MANAGER_WRITE),
        ("reject", "proposed", "rejected", ADMIN_WRITE),
        ("activate", "approved", "active", ADMIN_WRITE),
    ],
)
@pytest.mark.parametrize("actor", list(ACTORS))
def test_transitions(actor, name, state, target_state, expected, request, admin_user, targets):
    client = client_for(actor, request)
    target = targets[ACTORS[actor][1]]
    if state == "approved":
        from apps.fsm.services import transition_cascade

        target, _ = transition_cascade(
            subject=target, transition="approve", actor=admin_user, reason=""
        )
    before = snapshot()

    response = client.post(f"{URL}{target.pk}/transitions/", {"transition": name}, format="json")

    check(response, expected[actor], before)
    if response.status_code == 200:
        assert response.json()["state"] == target_state
        assert Assignment.objects.get(pk=target.pk).state == target_state
        log = AssignmentTransitionLog.objects.filter(subject=target).order_by("-id").first()
        assert (log.transition, log.to_state) == (name, target_state)


@pytest.mark.parametrize("actor", list(ACTORS))
def test_create(actor, request, world, targets):
    client = client_for(actor, request)
    before = snapshot()

    response = client.post(URL, assignment_payload(world, actor), format="json")

    check(response, COLLECTION_WRITE[actor], before)
    if response.status_code == 201:
        created = Assignment.objects.get(pk=response.json()["id"])
        assert created.state == "proposed"
        assert AssignmentTransitionLog.objects.filter(subject=created).count() == 1


@pytest.mark.parametrize("actor", list(ACTORS))
def test_simulate(actor, request, world, targets):
    client = client_for(actor, request)
    before = snapshot()

    response = client.post(f"{URL}simulate/", assignment_payload(world, actor), format="json")

    expected = {**COLLECTION_WRITE, "admin": 200, "manager_in": 200}[actor]
    check(response, expected, before)
    assert snapshot() == before  # simulate never writes, whoever asks


@pytest.mark.parametrize(
    ("employee", "position", "field"),
    [("out", "in", "employee"), ("in", "out", "position"), ("out", "out", "employee")],
)
def test_manager_cannot_reference_records_outside_their_scope(
    as_manager, world, targets, employee, position, field
):
    records = {"in": (world.emp_in, world.pos_in), "out": (world.emp_out, world.pos_out)}
    body = {
        "employee": records[employee][0].pk,
        "position": records[position][1].pk,
        "start_date": MONDAY.isoformat(),
        "weekly_hours": "10.00",
    }
    before = snapshot()

    for url in (URL, f"{URL}simulate/"):
        response = as_manager.post(url, body, format="json")
        errors = problem(response, 400)["errors"]
        assert field in errors, errors
    response = as_manager.patch(f"{URL}{targets['in'].pk}/", {field: body[field]}, format="json")
    assert field in problem(response, 400)["errors"]
    assert snapshot() == before


def test_manager_sees_assignments_touching_their_scope_by_employee_or_position(
    as_manager, world, admin_user, targets
):
    """An employee of theirs on an outside position, or an outsider on one of their positions."""
    by_employee = make_assignment(world.emp_in, world.pos_out, actor=admin_user)
    by_position = make_assignment(world.emp_out, world.pos_in, actor=admin_user)

    seen = {row["id"] for row in as_manager.get(URL).json()["results"]}

    assert seen == {targets["in"].pk, by_employee.pk, by_position.pk}
    for assignment in (by_employee, by_position):
        assert as_manager.get(f"{URL}{assignment.pk}/").status_code == 200
