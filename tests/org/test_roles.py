"""The role matrix (DESIGN.md section 5): every endpoint × method × role → status, writes checked.

The world: the manager looks after `root_in` (and so `child_in` below it); `root_out` is outside
their scope. The employee user's own record (`emp_own`) sits in `root_out`. A refused request must
leave every row of every table the endpoint touches exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.fsm.models import EmployeeTransitionLog
from apps.org.models import Employee, OrgUnit, Position
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

ROLES = ("admin", "manager", "auditor", "employee", "anonymous")
MODELS = {"org-units": OrgUnit, "positions": Position, "employees": Employee}
# Which objects each resource has for the matrix: in the manager's scope, outside it, the
# employee user's own record.
TARGETS = {
    "org-units": ("in", "out"),
    "positions": ("in", "out"),
    "employees": ("in", "out", "own"),
}
DETAIL_ACTIONS = ("retrieve", "put", "patch", "delete")
EMPLOYEE_ACTIONS = ("transition", "history")
PROBLEM_CODES = {
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
}


@dataclass
class World:
    root_in: OrgUnit
    child_in: OrgUnit
    root_out: OrgUnit
    pos_in: Position
    pos_out: Position
    emp_in: Employee
    emp_out: Employee
    emp_own: Employee

    def target(self, resource: str, which: str) -> Any:
        return {
            ("org-units", "in"): self.child_in,
            ("org-units", "out"): self.root_out,
            ("positions", "in"): self.pos_in,
            ("positions", "out"): self.pos_out,
            ("employees", "in"): self.emp_in,
            ("employees", "out"): self.emp_out,
            ("employees", "own"): self.emp_own,
        }[(resource, which)]


@pytest.fixture
def world(manager_user, employee_user) -> World:
    root_in = make_unit("IN")
    child_in = make_unit("IN-1", parent=root_in)
    root_out = make_unit("OUT")
    manager_user.scope.add(root_in)
    return World(
        root_in=root_in,
        child_in=child_in,
        root_out=root_out,
        pos_in=make_position(child_in, code="POS-IN"),
        pos_out=make_position(root_out, code="POS-OUT"),
        emp_in=make_employee(child_in, employee_number="E-IN"),
        emp_out=make_employee(root_out, employee_number="E-OUT"),
        emp_own=make_employee(root_out, employee_number="E-OWN", user=employee_user),
    )


def client_for(role: str, request: pytest.FixtureRequest) -> APIClient:
    if role == "anonymous":
        return APIClient()
    client: APIClient = request.getfixturevalue(f"as_{role}")
    return client


def expected_status(role: str, resource: str, action: str, target: str | None) -> int:
    """The contract, rule by rule."""
    if role == "anonymous":
        return 401
    if action == "list":
        return 200
    if action == "create":
        return 201 if role == "admin" else 403
    if action == "delete":
        return 405  # no DELETE endpoint exists, for anyone
    visible = {
        "admin": True,
        "auditor": True,
        "manager": target == "in",
        "employee": resource == "employees" and target == "own",
    }[role]
    if not visible:
        return 404
    if action in ("retrieve", "history"):
        return 200
    if action == "transition":
        return 200 if role in ("admin", "manager") else 403
    return 200 if role == "admin" else 403  # put, patch


def snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table these endpoints write."""
    return {
        "org_units": list(OrgUnit.objects.order_by("pk").values()),
        "positions": list(Position.objects.order_by("pk").values()),
        "employees": list(Employee.objects.order_by("pk").values()),
        "logs": list(EmployeeTransitionLog.objects.order_by("pk").values()),
    }


def create_payload(resource: str, world: World) -> dict[str, Any]:
    return {
        "org-units": {"code": "NEW", "name": "New unit", "parent": world.root_in.pk},
        "positions": {
            "code": "POS-NEW",
            "title": "Nurse",
            "org_unit": world.child_in.pk,
            "weekly_hours": "20.00",
            "start_date": "2026-02-02",
        },
        "employees": {
            "employee_number": "E-NEW",
            "first_name": "Nia",
            "last_name": "New",
            "email": "nia@example.test",
            "org_unit": world.child_in.pk,
            "contract_hours": "30.00",
            "hire_date": "2026-02-02",
        },
    }[resource]


def put_payload(resource: str, obj: Any) -> dict[str, Any]:
    if resource == "org-units":
        return {"code": obj.code, "name": "Renamed", "parent": obj.parent_id, "active": obj.active}
    if resource == "positions":
        return {
            "code": obj.code,
            "title": "Renamed",
            "org_unit": obj.org_unit_id,
            "weekly_hours": "12.50",
            "start_date": obj.start_date.isoformat(),
            "end_date": None,
            "active": True,
        }
    return {
        "employee_number": obj.employee_number,
        "first_name": "Renamed",
        "last_name": obj.last_name,
        "email": obj.email,
        "org_unit": obj.org_unit_id,
        "contract_hours": "12.50",
        "hire_date": obj.hire_date.isoformat(),
        "termination_date": None,
        "user": obj.user_id,
    }


PATCH_FIELD = {"org-units": "name", "positions": "title", "employees": "first_name"}


def matrix() -> list[Any]:
    cases = []
    for resource, targets in TARGETS.items():
        actions: list[tuple[str, str | None]] = [("list", None), ("create", None)]
        actions += [(a, t) for a in DETAIL_ACTIONS for t in targets]
        if resource == "employees":
            actions += [(a, t) for a in EMPLOYEE_ACTIONS for t in targets]
        for action, target in actions:
            for role in ROLES:
                status = expected_status(role, resource, action, target)
                case_id = f"{resource}-{action}{'-' + target if target else ''}-{role}-{status}"
                cases.append(pytest.param(resource, action, target, role, status, id=case_id))
    return cases


@pytest.mark.parametrize(("resource", "action", "target", "role", "status"), matrix())
def test_role_matrix(resource, action, target, role, status, world, request):
    client = client_for(role, request)
    base = f"/api/v1/{resource}/"
    obj = world.target(resource, target) if target else None
    url = f"{base}{obj.pk}/" if obj is not None else base
    before = snapshot()

    if action == "list":
        response = client.get(base)
    elif action == "create":
        response = client.post(base, create_payload(resource, world), format="json")
    elif action == "retrieve":
        response = client.get(url)
    elif action == "put":
        response = client.put(url, put_payload(resource, obj), format="json")
    elif action == "patch":
        response = client.patch(url, {PATCH_FIELD[resource]: "Renamed"}, format="json")
    elif action == "delete":
        response = client.delete(url)
    elif action == "transition":
        response = client.post(
            f"{url}transitions/",
            {"transition": "start_onboarding", "reason": "matrix"},
            format="json",
        )
    else:
        response = client.get(f"{url}history/")

    assert response.status_code == status, response.content
    body = response.json()
    model = MODELS[resource]

    if status >= 400:
        # Refused: a problem document, and not a single row changed anywhere.
        assert body["code"] == PROBLEM_CODES[status], body
        assert body["status"] == status
        assert snapshot() == before
        return

    if action == "list":
        assert "results" in body
        assert snapshot() == before
    elif action == "create":
        created = model.objects.get(pk=body["id"])
        assert model.objects.count() == len(before[resource.replace("-", "_")]) + 1
        assert response.headers["ETag"]
        if resource == "employees":
            assert created.state == "candidate"
    elif action in ("retrieve", "history"):
        assert snapshot() == before
        if action == "retrieve":
            assert body["id"] == obj.pk
            assert response.headers["ETag"]
        else:
            # Nobody has run a transition yet: only the creation of the employee (and its
            # first contract-hours version) is on record.
            assert {(r["source"], r["action"]) for r in body["results"]} == {("change", "create")}
            assert {(r["subject_type"], r["subject_id"]) for r in body["results"]} == {
                ("employee", obj.pk)
            }
    elif action in ("put", "patch"):
        assert body["id"] == obj.pk
        assert body[PATCH_FIELD[resource]] == "Renamed"
        assert getattr(model.objects.get(pk=obj.pk), PATCH_FIELD[resource]) == "Renamed"
    elif action == "transition":
        assert body["id"] == obj.pk
        assert body["state"] == "onboarding"
        assert Employee.objects.get(pk=obj.pk).state == "onboarding"
        log = EmployeeTransitionLog.objects.get(subject=obj)
        assert (log.transition, log.from_state, log.to_state) == (
            "start_onboarding",
            "candidate",
            "onboarding",
        )
        assert log.actor_id == request.getfixturevalue(f"{role}_user").pk


VISIBLE = {
    # role -> resource -> names of the World objects the list shows
    "admin": {
        "org-units": {"root_in", "child_in", "root_out"},
        "positions": {"pos_in", "pos_out"},
        "employees": {"emp_in", "emp_out", "emp_own"},
    },
    "auditor": {
        "org-units": {"root_in", "child_in", "root_out"},
        "positions": {"pos_in", "pos_out"},
        "employees": {"emp_in", "emp_out", "emp_own"},
    },
    "manager": {
        "org-units": {"root_in", "child_in"},
        "positions": {"pos_in"},
        "employees": {"emp_in"},
    },
    "employee": {"org-units": set(), "positions": set(), "employees": {"emp_own"}},
}


@pytest.mark.parametrize("resource", list(MODELS))
@pytest.mark.parametrize("role", list(VISIBLE))
def test_list_shows_exactly_what_the_role_sees(resource, role, world, request):
    response = client_for(role, request).get(f"/api/v1/{resource}/")
    assert response.status_code == 200
    body = response.json()
    expected = {getattr(world, name).pk for name in VISIBLE[role][resource]}
    assert {row["id"] for row in body["results"]} == expected
    assert body["count"] == len(expected)


@pytest.mark.parametrize("resource", list(MODELS))
def test_manager_cannot_create_in_scope(resource, world, as_manager):
    """Even a payload that lands entirely inside the manager's subtree is refused."""
    before = snapshot()
    response = as_manager.post(
        f"/api/v1/{resource}/", create_payload(resource, world), format="json"
    )
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert snapshot() == before


def test_manager_transition_beyond_scope_is_404_even_with_valid_transition(world, as_manager):
    before = snapshot()
    response = as_manager.post(
        f"/api/v1/employees/{world.emp_out.pk}/transitions/",
        {"transition": "terminate", "reason": "no"},
        format="json",
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_manager_scope_covers_grandchildren(world, manager_user, as_manager):
    grandchild = make_unit("IN-1-1", parent=world.child_in)
    deep = make_employee(grandchild, employee_number="E-DEEP")
    response = as_manager.get(f"/api/v1/employees/{deep.pk}/")
    assert response.status_code == 200
    assert response.json()["employee_number"] == "E-DEEP"


def test_inactive_user_token_is_refused(world, admin_user, as_admin):
    admin_user.is_active = False
    admin_user.save(update_fields=["is_active"])
    response = as_admin.get("/api/v1/employees/")
    assert response.status_code == 401
    assert response.json()["code"] == "user_inactive"
    assert "results" not in response.json()


def test_employee_user_cannot_relink_their_record(world, employee_user, as_employee):
    """The employee may not move their own record or change its hours."""
    response = as_employee.patch(
        f"/api/v1/employees/{world.emp_own.pk}/",
        {"contract_hours": "1.00", "org_unit": world.root_in.pk},
        format="json",
    )
    assert response.status_code == 403
    own = Employee.objects.get(pk=world.emp_own.pk)
    assert own.contract_hours == Decimal("40.00")
    assert own.org_unit_id == world.root_out.pk
    assert own.hire_date == dt.date(2026, 1, 5)
