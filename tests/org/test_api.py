"""org-units/, positions/, employees/: detail shape, ETag / If-Match, mass assignment, transitions,
history, filters, validation and list query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core.capture import GENESIS
from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.services import transition_apply
from apps.org import services
from apps.org.models import Employee, OrgUnit, Position
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

HISTORY_FIELDS = {
    "transition",
    "from_state",
    "to_state",
    "actor",
    "at",
    "reason",
    "request_id",
    "prev_hash",
    "hash",
}


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status` (and `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def rows(model: type) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values())


@pytest.fixture
def unit() -> OrgUnit:
    return make_unit("HQ")


@pytest.fixture
def employee(unit) -> Employee:
    return make_employee(unit, employee_number="E-1", first_name="Ada", last_name="Lovelace")


@pytest.fixture
def position(unit) -> Position:
    return make_position(unit, code="P-1", title="Nurse")


def names(response: Any, key: str = "code") -> list[Any]:
    assert response.status_code == 200, response.content
    return [row[key] for row in response.json()["results"]]


# --- detail: available_transitions and ETag ----------------------------------------------------


CANDIDATE_TRANSITIONS = [
    {"name": "start_onboarding", "target": "onboarding"},
    {"name": "terminate", "target": "terminated"},
]


def by_name(options: list[dict[str, str]]) -> list[dict[str, str]]:
    return sorted(options, key=lambda t: t["name"])


def test_detail_lists_transitions_for_admin(as_admin, employee):
    response = as_admin.get(f"/api/v1/employees/{employee.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert by_name(body["available_transitions"]) == CANDIDATE_TRANSITIONS
    assert body["state"] == "candidate"
    assert response["ETag"]
    assert set(body) >= {
        "id",
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "org_unit",
        "contract_hours",
        "hire_date",
        "termination_date",
        "state",
        "user",
    }
    assert body["contract_hours"] == "40.00"


def test_detail_lists_transitions_for_manager_in_scope(as_manager, manager_user, unit, employee):
    manager_user.scope.add(unit)
    response = as_manager.get(f"/api/v1/employees/{employee.pk}/")
    assert response.status_code == 200
    assert by_name(response.json()["available_transitions"]) == CANDIDATE_TRANSITIONS


def test_detail_lists_no_transitions_for_auditor(as_auditor, employee):
    response = as_auditor.get(f"/api/v1/employees/{employee.pk}/")
    assert response.status_code == 200
    assert response.json()["available_transitions"] == []


def test_detail_lists_no_transitions_for_employee_self(as_employee, employee_user, unit):
    own = make_employee(unit, user=employee_user)
    response = as_employee.get(f"/api/v1/employees/{own.pk}/")
    assert response.status_code == 200
    assert response.json()["available_transitions"] == []
    assert response.json()["user"] == employee_user.pk


def test_available_transitions_follow_the_state(as_admin, admin_user, employee):
    transition_apply(subject=employee, transition="start_onboarding", actor=admin_user)
    transition_apply(subject=employee, transition="activate", actor=admin_user)
    response = as_admin.get(f"/api/v1/employees/{employee.pk}/")
    assert by_name(response.json()["available_transitions"]) == [
        {"name": "start_leave", "target": "on_leave"},
        {"name": "suspend", "target": "suspended"},
        {"name": "terminate", "target": "terminated"},
    ]
    transition_apply(subject=employee, transition="terminate", actor=admin_user)
    response = as_admin.get(f"/api/v1/employees/{employee.pk}/")
    assert response.json()["available_transitions"] == []


@pytest.mark.parametrize("resource", ["org-units", "positions", "employees"])
def test_detail_etag_is_quoted_and_stable(resource, as_admin, unit, position, employee):
    obj = {"org-units": unit, "positions": position, "employees": employee}[resource]
    url = f"/api/v1/{resource}/{obj.pk}/"
    etag = as_admin.get(url)["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    # Reading twice gives the same tag.
    assert as_admin.get(url)["ETag"] == etag


# --- If-Match ------------------------------------------------------------------------------------


PATCHES = {
    "org-units": {"name": "Renamed"},
    "positions": {"title": "Renamed"},
    "employees": {"first_name": "Renamed"},
}


@pytest.fixture
def objects(unit, position, employee) -> dict[str, Any]:
    return {"org-units": unit, "positions": position, "employees": employee}


@pytest.mark.parametrize("resource", list(PATCHES))
def test_stale_if_match_is_412_and_nothing_written(resource, as_admin, objects):
    obj = objects[resource]
    model = type(obj)
    url = f"/api/v1/{resource}/{obj.pk}/"
    stale = as_admin.get(url)["ETag"]
    # Someone else changes the record after we read it.
    first = as_admin.patch(url, {**PATCHES[resource]}, format="json", HTTP_IF_MATCH=stale)
    assert first.status_code == 200, first.content
    current = first["ETag"]
    assert current != stale
    before = rows(model)

    response = as_admin.patch(
        url, {next(iter(PATCHES[resource])): "Lost update"}, format="json", HTTP_IF_MATCH=stale
    )
    body = problem(response, 412, "precondition_failed")
    assert body["current_etag"] == current
    assert rows(model) == before


def test_stale_if_match_on_put_is_412(as_admin, position):
    url = f"/api/v1/positions/{position.pk}/"
    stale = as_admin.get(url)["ETag"]
    services.position_update(position=position, weekly_hours=Decimal("10.00"))
    before = rows(Position)
    response = as_admin.put(
        url,
        {
            "code": "P-1",
            "title": "Put",
            "org_unit": position.org_unit_id,
            "weekly_hours": "5.00",
            "start_date": "2026-01-05",
            "end_date": None,
            "active": True,
        },
        format="json",
        HTTP_IF_MATCH=stale,
    )
    problem(response, 412, "precondition_failed")
    assert rows(Position) == before


@pytest.mark.parametrize("resource", list(PATCHES))
def test_matching_if_match_updates_and_returns_new_etag(resource, as_admin, objects):
    obj = objects[resource]
    url = f"/api/v1/{resource}/{obj.pk}/"
    etag = as_admin.get(url)["ETag"]
    field, value = next(iter(PATCHES[resource].items()))
    response = as_admin.patch(url, {field: value}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()[field] == value
    assert getattr(type(obj).objects.get(pk=obj.pk), field) == value
    new = response["ETag"]
    assert new != etag
    assert as_admin.get(url)["ETag"] == new  # the new tag is what a fresh read reports


def test_a_listed_if_match_is_accepted_and_a_weak_one_never_matches(as_admin, unit):
    url = f"/api/v1/org-units/{unit.pk}/"
    etag = as_admin.get(url)["ETag"]
    # If-Match uses strong comparison (RFC 9110 §13.1.1): W/ of the current tag is no match.
    weak = as_admin.patch(url, {"name": "W"}, format="json", HTTP_IF_MATCH=f"W/{etag}")
    assert weak.status_code == 412, weak.content
    assert OrgUnit.objects.get(pk=unit.pk).name != "W"
    response = as_admin.patch(url, {"name": "W"}, format="json", HTTP_IF_MATCH=f'"nope", {etag}')
    assert response.status_code == 200, response.content
    assert OrgUnit.objects.get(pk=unit.pk).name == "W"


def test_create_returns_201_with_etag(as_admin, unit):
    response = as_admin.post(
        "/api/v1/positions/",
        {
            "code": "P-NEW",
            "title": "Cook",
            "org_unit": unit.pk,
            "weekly_hours": "38.50",
            "start_date": "2026-03-02",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response["ETag"]
    body = response.json()
    created = Position.objects.get(pk=body["id"])
    assert created.weekly_hours == Decimal("38.50")
    assert body["weekly_hours"] == "38.50"
    assert body["org_unit_summary"] == {"id": unit.pk, "code": "HQ", "name": unit.name}


def test_transition_response_etag_matches_detail(as_admin, employee):
    url = f"/api/v1/employees/{employee.pk}/"
    before = as_admin.get(url)["ETag"]
    response = as_admin.post(
        f"{url}transitions/", {"transition": "start_onboarding"}, format="json"
    )
    assert response.status_code == 200
    assert response["ETag"] != before
    assert as_admin.get(url)["ETag"] == response["ETag"]


# --- mass assignment ----------------------------------------------------------------------------


def test_create_employee_ignores_state_and_id(as_admin, unit):
    response = as_admin.post(
        "/api/v1/employees/",
        {
            "id": 99999,
            "state": "active",
            "employee_number": "E-9",
            "first_name": "Bo",
            "last_name": "Bee",
            "org_unit": unit.pk,
            "contract_hours": "20",
            "hire_date": "2026-01-05",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "candidate"
    assert body["id"] != 99999
    assert Employee.objects.get(pk=body["id"]).state == "candidate"
    assert not Employee.objects.filter(pk=99999).exists()
    assert not EmployeeTransitionLog.objects.exists()


def test_patch_employee_ignores_state_and_id(as_admin, employee):
    response = as_admin.patch(
        f"/api/v1/employees/{employee.pk}/",
        {"id": 99999, "state": "terminated", "last_name": "Byron"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["id"] == employee.pk
    assert response.json()["state"] == "candidate"
    saved = Employee.objects.get(pk=employee.pk)
    assert (saved.state, saved.last_name) == ("candidate", "Byron")
    assert not Employee.objects.filter(pk=99999).exists()
    assert not EmployeeTransitionLog.objects.exists()


def test_put_employee_ignores_state(as_admin, employee):
    response = as_admin.put(
        f"/api/v1/employees/{employee.pk}/",
        {
            "state": "active",
            "employee_number": "E-1",
            "first_name": "Ada",
            "last_name": "King",
            "email": "",
            "org_unit": employee.org_unit_id,
            "contract_hours": "30.00",
            "hire_date": "2026-01-05",
            "termination_date": None,
            "user": None,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    saved = Employee.objects.get(pk=employee.pk)
    assert (saved.state, saved.last_name, saved.contract_hours) == (
        "candidate",
        "King",
        Decimal("30.00"),
    )


def test_create_org_unit_ignores_path_and_id(as_admin, unit):
    response = as_admin.post(
        "/api/v1/org-units/",
        {"id": 99999, "path": "/1/", "code": "SUB", "name": "Sub", "parent": unit.pk},
        format="json",
    )
    assert response.status_code == 201, response.content
    created = OrgUnit.objects.get(code="SUB")
    assert created.pk != 99999
    assert created.path == f"{unit.path}{created.pk}/"
    assert response.json()["path"] == created.path


def test_patch_org_unit_ignores_path_and_id(as_admin, unit):
    child = make_unit("CH", parent=unit)
    before = rows(OrgUnit)
    response = as_admin.patch(
        f"/api/v1/org-units/{child.pk}/", {"id": 1, "path": "/", "name": "Child"}, format="json"
    )
    assert response.status_code == 200, response.content
    saved = OrgUnit.objects.get(pk=child.pk)
    assert (saved.path, saved.name) == (child.path, "Child")
    assert [(r["id"], r["path"]) for r in rows(OrgUnit)] == [(r["id"], r["path"]) for r in before]


def test_create_position_ignores_id(as_admin, unit):
    response = as_admin.post(
        "/api/v1/positions/",
        {
            "id": 99999,
            "code": "P-ID",
            "title": "T",
            "org_unit": unit.pk,
            "weekly_hours": "1",
            "start_date": "2026-01-05",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["id"] != 99999
    assert Position.objects.filter(code="P-ID").exclude(pk=99999).exists()


UNKNOWN = {
    "org-units": ({"code": "X", "name": "X", "colour": "red"}, {"colour": "red"}),
    "positions": (
        {
            "code": "X",
            "title": "X",
            "org_unit": None,
            "weekly_hours": "1",
            "start_date": "2026-01-05",
            "salary": 1,
        },
        {"salary": 1},
    ),
    "employees": (
        {
            "employee_number": "X",
            "first_name": "X",
            "last_name": "X",
            "org_unit": None,
            "contract_hours": "1",
            "hire_date": "2026-01-05",
            "role": "admin",
        },
        {"role": "admin"},
    ),
}


@pytest.mark.parametrize("resource", list(UNKNOWN))
def test_unknown_field_on_create_is_400_and_nothing_written(resource, as_admin, objects, unit):
    payload, bad = UNKNOWN[resource]
    if "org_unit" in payload:
        payload = {**payload, "org_unit": unit.pk}
    model = type(objects[resource])
    before = rows(model)
    response = as_admin.post(f"/api/v1/{resource}/", payload, format="json")
    body = problem(response, 400)
    assert set(bad) <= set(body["errors"])
    assert rows(model) == before


@pytest.mark.parametrize("resource", list(UNKNOWN))
def test_unknown_field_on_patch_is_400_and_nothing_written(resource, as_admin, objects):
    obj = objects[resource]
    _, bad = UNKNOWN[resource]
    model = type(obj)
    before = rows(model)
    field, value = next(iter(PATCHES[resource].items()))
    response = as_admin.patch(f"/api/v1/{resource}/{obj.pk}/", {field: value, **bad}, format="json")
    body = problem(response, 400)
    assert set(bad) <= set(body["errors"])
    assert rows(model) == before


# --- transitions and history ---------------------------------------------------------------------


def test_transition_changes_state_and_writes_log(as_admin, admin_user, employee):
    response = as_admin.post(
        f"/api/v1/employees/{employee.pk}/transitions/",
        {"transition": "start_onboarding", "reason": "x"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == employee.pk
    assert body["state"] == "onboarding"
    assert by_name(body["available_transitions"]) == [
        {"name": "activate", "target": "active"},
        {"name": "terminate", "target": "terminated"},
    ]
    assert Employee.objects.get(pk=employee.pk).state == "onboarding"
    log = EmployeeTransitionLog.objects.get(subject=employee)
    assert (log.transition, log.from_state, log.to_state, log.reason, log.actor_id) == (
        "start_onboarding",
        "candidate",
        "onboarding",
        "x",
        admin_user.pk,
    )
    assert log.prev_hash == GENESIS
    assert len(log.hash) == 64


def test_transition_by_manager_in_scope_logs_the_manager(as_manager, manager_user, unit, employee):
    manager_user.scope.add(unit)
    response = as_manager.post(
        f"/api/v1/employees/{employee.pk}/transitions/",
        {"transition": "terminate", "reason": "left"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "terminated"
    assert EmployeeTransitionLog.objects.get(subject=employee).actor_id == manager_user.pk


def test_illegal_transition_is_409_with_current_state(as_admin, employee):
    response = as_admin.post(
        f"/api/v1/employees/{employee.pk}/transitions/",
        {"transition": "activate", "reason": "too early"},
        format="json",
    )
    body = problem(response, 409, "transition_not_allowed")
    assert body["current_state"] == "candidate"
    assert Employee.objects.get(pk=employee.pk).state == "candidate"
    assert not EmployeeTransitionLog.objects.exists()


def test_transition_from_final_state_is_409(as_admin, admin_user, employee):
    transition_apply(subject=employee, transition="terminate", actor=admin_user)
    response = as_admin.post(
        f"/api/v1/employees/{employee.pk}/transitions/", {"transition": "terminate"}, format="json"
    )
    body = problem(response, 409, "transition_not_allowed")
    assert body["current_state"] == "terminated"
    assert EmployeeTransitionLog.objects.filter(subject=employee).count() == 1


@pytest.mark.parametrize(
    "payload",
    [
        {"transition": "fly_to_the_moon"},
        {"transition": ""},
        {},
        {"transition": "start_onboarding", "state": "active"},
        {"transition": ["start_onboarding"]},
        {"transition": "start_onboarding", "override": "maybe"},
    ],
    ids=["unknown", "blank", "missing", "extra-field", "list", "bad-override"],
)
def test_bad_transition_request_is_400(payload, as_admin, employee):
    response = as_admin.post(
        f"/api/v1/employees/{employee.pk}/transitions/", payload, format="json"
    )
    body = problem(response, 400)
    assert body["errors"]
    assert Employee.objects.get(pk=employee.pk).state == "candidate"
    assert not EmployeeTransitionLog.objects.exists()


def test_unknown_transition_names_the_field(as_admin, employee):
    response = as_admin.post(
        f"/api/v1/employees/{employee.pk}/transitions/", {"transition": "fly"}, format="json"
    )
    body = problem(response, 400)
    assert "transition" in body["errors"]


def test_transition_of_unknown_employee_is_404(as_admin):
    response = as_admin.post(
        "/api/v1/employees/424242/transitions/", {"transition": "terminate"}, format="json"
    )
    problem(response, 404, "not_found")
    assert not EmployeeTransitionLog.objects.exists()


def test_request_id_reaches_the_log_row(as_admin, employee):
    response = as_admin.post(
        f"/api/v1/employees/{employee.pk}/transitions/",
        {"transition": "start_onboarding", "reason": "traced"},
        format="json",
        HTTP_X_REQUEST_ID="trace-abc.123",
    )
    assert response.status_code == 200, response.content
    assert response["X-Request-ID"] == "trace-abc.123"
    assert EmployeeTransitionLog.objects.get(subject=employee).request_id == "trace-abc.123"
    history = as_admin.get(f"/api/v1/employees/{employee.pk}/history/").json()["results"]
    assert history[0]["request_id"] == "trace-abc.123"


def test_history_lists_rows_newest_first_with_chain(as_admin, admin_user, employee):
    steps = ["start_onboarding", "activate", "start_leave"]
    for i, name in enumerate(steps):
        response = as_admin.post(
            f"/api/v1/employees/{employee.pk}/transitions/",
            {"transition": name, "reason": f"step {i}"},
            format="json",
            HTTP_X_REQUEST_ID=f"req-{i}",
        )
        assert response.status_code == 200, response.content

    response = as_admin.get(f"/api/v1/employees/{employee.pk}/history/?action=transition")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    results = body["results"]
    assert [r["transition"] for r in results] == list(reversed(steps))
    for row in results:
        assert set(row) >= HISTORY_FIELDS
        assert row["actor"] == admin_user.pk
    newest = results[0]
    assert (newest["from_state"], newest["to_state"], newest["reason"], newest["request_id"]) == (
        "active",
        "on_leave",
        "step 2",
        "req-2",
    )
    # Newest first by time, and each row links to the one before it.
    assert [r["at"] for r in results] == sorted((r["at"] for r in results), reverse=True)
    assert results[0]["prev_hash"] == results[1]["hash"]
    assert results[1]["prev_hash"] == results[2]["hash"]
    assert results[2]["prev_hash"] == GENESIS


def test_history_of_other_employees_is_not_mixed_in(as_admin, admin_user, unit, employee):
    other = make_employee(unit)
    transition_apply(subject=other, transition="terminate", actor=admin_user)
    response = as_admin.get(f"/api/v1/employees/{employee.pk}/history/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert rows  # the employee's own creation
    assert {(r["subject_type"], r["subject_id"]) for r in rows} == {("employee", employee.pk)}
    assert as_admin.get(f"/api/v1/employees/{employee.pk}/history/?action=bogus").status_code == 400


def test_employee_sees_own_history_only(as_employee, employee_user, admin_user, unit, employee):
    own = make_employee(unit, user=employee_user)
    transition_apply(subject=own, transition="start_onboarding", actor=admin_user)
    transition_apply(subject=employee, transition="start_onboarding", actor=admin_user)
    response = as_employee.get(f"/api/v1/employees/{own.pk}/history/?action=transition")
    assert names(response, "transition") == ["start_onboarding"]
    problem(as_employee.get(f"/api/v1/employees/{employee.pk}/history/"), 404, "not_found")


# --- filters, search, ordering -------------------------------------------------------------------


@pytest.fixture
def org() -> dict[str, OrgUnit]:
    """root ─ ops ─ ward; root ─ admin (inactive); elsewhere."""
    root = make_unit("ROOT", name="Root")
    ops = make_unit("OPS", parent=root, name="Operations")
    ward = make_unit("WARD", parent=ops, name="Ward 7")
    office = make_unit("OFFICE", parent=root, name="Office", active=False)
    elsewhere = make_unit("ELSE", name="Elsewhere")
    return {"root": root, "ops": ops, "ward": ward, "office": office, "else": elsewhere}


def test_org_units_filter_active(as_admin, org):
    assert names(as_admin.get("/api/v1/org-units/", {"active": "false"})) == ["OFFICE"]
    assert "OFFICE" not in names(as_admin.get("/api/v1/org-units/", {"active": "true"}))


def test_org_units_filter_parent_lists_direct_children(as_admin, org):
    response = as_admin.get("/api/v1/org-units/", {"parent": org["root"].pk})
    assert sorted(names(response)) == ["OFFICE", "OPS"]


def test_org_units_filter_within_lists_the_subtree(as_admin, org):
    assert names(as_admin.get("/api/v1/org-units/", {"within": org["ops"].pk})) == ["OPS", "WARD"]
    assert sorted(names(as_admin.get("/api/v1/org-units/", {"within": org["root"].pk}))) == [
        "OFFICE",
        "OPS",
        "ROOT",
        "WARD",
    ]


def test_org_units_search_and_ordering(as_admin, org):
    assert names(as_admin.get("/api/v1/org-units/", {"search": "ward"})) == ["WARD"]
    assert names(as_admin.get("/api/v1/org-units/", {"ordering": "-code"})) == [
        "WARD",
        "ROOT",
        "OPS",
        "OFFICE",
        "ELSE",
    ]


def test_org_units_within_for_manager_stays_in_scope(as_manager, manager_user, org):
    manager_user.scope.add(org["ops"])
    assert names(as_manager.get("/api/v1/org-units/", {"within": org["ops"].pk})) == [
        "OPS",
        "WARD",
    ]
    # A unit above the scope answers like one that does not exist (no existence oracle).
    above = as_manager.get("/api/v1/org-units/", {"within": org["root"].pk})
    missing = as_manager.get("/api/v1/org-units/", {"within": 987654321})
    assert above.status_code == missing.status_code == 400
    assert above.json()["errors"] == missing.json()["errors"]


@pytest.fixture
def staffed(org) -> dict[str, Any]:
    positions = {
        "root": make_position(
            org["root"], code="P-ROOT", title="Director", weekly_hours=Decimal("40")
        ),
        "ops": make_position(org["ops"], code="P-OPS", title="Planner", weekly_hours=Decimal("20")),
        "ward": make_position(
            org["ward"], code="P-WARD", title="Night nurse", weekly_hours=Decimal("32")
        ),
        "else": make_position(
            org["else"], code="P-ELSE", title="Nurse", weekly_hours=Decimal("10")
        ),
    }
    employees = {
        "grace": make_employee(
            org["ward"],
            employee_number="E-100",
            first_name="Grace",
            last_name="Hopper",
            hire_date=dt.date(2026, 1, 5),
        ),
        "alan": make_employee(
            org["ops"],
            employee_number="E-200",
            first_name="Alan",
            last_name="Turing",
            hire_date=dt.date(2026, 2, 2),
        ),
        "edsger": make_employee(
            org["root"],
            employee_number="E-300",
            first_name="Edsger",
            last_name="Dijkstra",
            hire_date=dt.date(2026, 3, 2),
        ),
        "barbara": make_employee(
            org["else"],
            employee_number="E-400",
            first_name="Barbara",
            last_name="Liskov",
            hire_date=dt.date(2026, 4, 6),
        ),
    }
    return {"positions": positions, "employees": employees}


def test_positions_filter_org_unit_includes_subtree(as_admin, org, staffed):
    response = as_admin.get("/api/v1/positions/", {"org_unit": org["ops"].pk})
    assert names(response) == ["P-OPS", "P-WARD"]
    response = as_admin.get("/api/v1/positions/", {"org_unit": org["root"].pk})
    assert names(response) == ["P-OPS", "P-ROOT", "P-WARD"]


def test_positions_search_and_ordering(as_admin, staffed):
    assert names(as_admin.get("/api/v1/positions/", {"search": "nurse"})) == ["P-ELSE", "P-WARD"]
    assert names(as_admin.get("/api/v1/positions/", {"search": "P-OPS"})) == ["P-OPS"]
    response = as_admin.get("/api/v1/positions/", {"ordering": "-weekly_hours"})
    assert names(response) == ["P-ROOT", "P-WARD", "P-OPS", "P-ELSE"]
    assert names(response, "weekly_hours") == ["40.00", "32.00", "20.00", "10.00"]


def test_positions_filter_unknown_org_unit_is_400(as_admin, staffed):
    problem(as_admin.get("/api/v1/positions/", {"org_unit": 987654}), 400)
    problem(as_admin.get("/api/v1/positions/", {"org_unit": "abc"}), 400)


def test_employees_filter_state_accepts_several(as_admin, admin_user, staffed):
    emps = staffed["employees"]
    for name in ("start_onboarding", "activate"):
        transition_apply(subject=emps["grace"], transition=name, actor=admin_user)
        transition_apply(subject=emps["alan"], transition=name, actor=admin_user)
    transition_apply(subject=emps["alan"], transition="start_leave", actor=admin_user)
    transition_apply(subject=emps["edsger"], transition="terminate", actor=admin_user)

    response = as_admin.get("/api/v1/employees/?state=active&state=on_leave")
    assert sorted(names(response, "employee_number")) == ["E-100", "E-200"]
    response = as_admin.get("/api/v1/employees/", {"state": "terminated"})
    assert names(response, "employee_number") == ["E-300"]
    problem(as_admin.get("/api/v1/employees/", {"state": "retired"}), 400)


def test_employees_filter_org_unit_includes_subtree(as_admin, org, staffed):
    response = as_admin.get("/api/v1/employees/", {"org_unit": org["ops"].pk})
    assert sorted(names(response, "employee_number")) == ["E-100", "E-200"]


@pytest.mark.parametrize(
    ("term", "expected"),
    [("grace", ["E-100"]), ("TURING", ["E-200"]), ("E-300", ["E-300"]), ("zzz", [])],
)
def test_employees_search_names_and_number(term, expected, as_admin, staffed):
    assert names(as_admin.get("/api/v1/employees/", {"search": term}), "employee_number") == (
        expected
    )


def test_employees_ordering(as_admin, staffed):
    response = as_admin.get("/api/v1/employees/", {"ordering": "-hire_date"})
    assert names(response, "employee_number") == ["E-400", "E-300", "E-200", "E-100"]
    response = as_admin.get("/api/v1/employees/", {"ordering": "last_name"})
    assert names(response, "last_name") == ["Dijkstra", "Hopper", "Liskov", "Turing"]
    # The default order is by name.
    assert names(as_admin.get("/api/v1/employees/"), "last_name") == [
        "Dijkstra",
        "Hopper",
        "Liskov",
        "Turing",
    ]


def test_employees_filters_for_manager_stay_in_scope(as_manager, manager_user, org, staffed):
    manager_user.scope.add(org["ops"])
    response = as_manager.get("/api/v1/employees/", {"org_unit": org["ops"].pk})
    assert sorted(names(response, "employee_number")) == ["E-100", "E-200"]
    assert as_manager.get("/api/v1/employees/", {"org_unit": org["root"].pk}).status_code == 400
    response = as_manager.get("/api/v1/employees/", {"search": "Liskov"})
    assert names(response, "employee_number") == []


# --- validation ----------------------------------------------------------------------------------


def position_payload(unit: OrgUnit, **overrides: Any) -> dict[str, Any]:
    return {
        "code": "P-V",
        "title": "Validator",
        "org_unit": unit.pk,
        "weekly_hours": "20.00",
        "start_date": "2026-02-02",
        **overrides,
    }


def employee_payload(unit: OrgUnit, **overrides: Any) -> dict[str, Any]:
    return {
        "employee_number": "E-V",
        "first_name": "Val",
        "last_name": "Idate",
        "org_unit": unit.pk,
        "contract_hours": "20.00",
        "hire_date": "2026-02-02",
        **overrides,
    }


def test_position_end_before_start_is_400(as_admin, unit, position):
    before = rows(Position)
    response = as_admin.post(
        "/api/v1/positions/", position_payload(unit, end_date="2026-01-01"), format="json"
    )
    body = problem(response, 400)
    assert "end_date" in body["errors"]
    # A PATCH that sends only the end date is checked against the stored start date.
    response = as_admin.patch(
        f"/api/v1/positions/{position.pk}/", {"end_date": "2025-12-31"}, format="json"
    )
    assert "end_date" in problem(response, 400)["errors"]
    assert rows(Position) == before


def test_employee_termination_before_hire_is_400(as_admin, unit, employee):
    before = rows(Employee)
    response = as_admin.post(
        "/api/v1/employees/", employee_payload(unit, termination_date="2026-01-01"), format="json"
    )
    assert "termination_date" in problem(response, 400)["errors"]
    response = as_admin.patch(
        f"/api/v1/employees/{employee.pk}/",
        {"hire_date": "2026-06-01", "termination_date": "2026-05-31"},
        format="json",
    )
    assert "termination_date" in problem(response, 400)["errors"]
    assert rows(Employee) == before


BAD_HOURS = [
    "-1",
    "-0.01",
    "168.01",
    "1000",
    "NaN",
    "Infinity",
    "-Infinity",
    "abc",
    "1e400",
    "",
    None,
    True,
]


@pytest.mark.parametrize("value", BAD_HOURS)
def test_bad_weekly_hours_are_400(value, as_admin, unit, position):
    before = rows(Position)
    response = as_admin.post(
        "/api/v1/positions/", position_payload(unit, weekly_hours=value), format="json"
    )
    assert "weekly_hours" in problem(response, 400)["errors"]
    response = as_admin.patch(
        f"/api/v1/positions/{position.pk}/", {"weekly_hours": value}, format="json"
    )
    assert "weekly_hours" in problem(response, 400)["errors"]
    assert rows(Position) == before


@pytest.mark.parametrize("value", BAD_HOURS)
def test_bad_contract_hours_are_400(value, as_admin, unit, employee):
    before = rows(Employee)
    response = as_admin.post(
        "/api/v1/employees/", employee_payload(unit, contract_hours=value), format="json"
    )
    assert "contract_hours" in problem(response, 400)["errors"]
    response = as_admin.patch(
        f"/api/v1/employees/{employee.pk}/", {"contract_hours": value}, format="json"
    )
    assert "contract_hours" in problem(response, 400)["errors"]
    assert rows(Employee) == before


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_raw_json_nan_is_400(literal, as_admin, unit):
    before = rows(Position)
    raw = (
        b'{"code": "P-N", "title": "N", "org_unit": %d, "start_date": "2026-02-02", '
        b'"weekly_hours": %s}' % (unit.pk, literal)
    )
    response = as_admin.post("/api/v1/positions/", raw, content_type="application/json")
    problem(response, 400)
    assert rows(Position) == before


def test_boundary_hours_are_accepted(as_admin, unit):
    response = as_admin.post(
        "/api/v1/employees/", employee_payload(unit, contract_hours="168"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["contract_hours"] == "168.00"
    response = as_admin.post(
        "/api/v1/positions/", position_payload(unit, weekly_hours="0"), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["weekly_hours"] == "0.00"


@pytest.mark.parametrize("resource", ["org-units", "positions", "employees"])
def test_duplicate_code_is_a_problem_not_500(resource, as_admin, unit, position, employee):
    model = {"org-units": OrgUnit, "positions": Position, "employees": Employee}[resource]
    payload = {
        "org-units": {"code": "HQ", "name": "Second HQ"},
        "positions": position_payload(unit, code="P-1"),
        "employees": employee_payload(unit, employee_number="E-1"),
    }[resource]
    before = rows(model)
    response = as_admin.post(f"/api/v1/{resource}/", payload, format="json")
    assert response.status_code in (400, 409), response.content
    problem(response, response.status_code)
    assert rows(model) == before


@pytest.mark.parametrize("resource", ["org-units", "positions", "employees"])
def test_patch_to_a_taken_code_is_a_problem_not_500(resource, as_admin, unit):
    if resource == "org-units":
        taken, other, field = make_unit("TAKEN"), make_unit("OTHER"), "code"
    elif resource == "positions":
        taken, other, field = (make_position(unit, code="TAKEN"), make_position(unit), "code")
    else:
        taken, other, field = (
            make_employee(unit, employee_number="TAKEN"),
            make_employee(unit),
            "employee_number",
        )
    model = type(taken)
    before = rows(model)
    response = as_admin.patch(f"/api/v1/{resource}/{other.pk}/", {field: "TAKEN"}, format="json")
    assert response.status_code in (400, 409), response.content
    problem(response, response.status_code)
    assert rows(model) == before


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b'"text"',
        b"{",
        b"\xff\xfe",
        b'{"code": {"nested": 1}, "name": "x"}',
        b'{"code": "' + b"x" * 100 + b'", "name": "x"}',
    ],
    ids=["list", "string", "truncated", "not-utf8", "nested", "too-long"],
)
def test_malformed_org_unit_bodies_are_400(payload, as_admin):
    response = as_admin.post("/api/v1/org-units/", payload, content_type="application/json")
    problem(response, 400)
    assert not OrgUnit.objects.exists()


def test_non_numeric_ids_are_404(as_admin):
    for url in (
        "/api/v1/employees/abc/",
        "/api/v1/positions/1.5/",
        "/api/v1/org-units/-1/",
        "/api/v1/employees/99999999999999999999/",
    ):
        response = as_admin.get(url)
        assert response.status_code == 404, (url, response.content)


# --- list query counts ---------------------------------------------------------------------------

ROWS = 32


@pytest.fixture
def local_cache(settings) -> None:
    """Throttle counters in process memory for the query counts.

    Without REDIS_URL the shared cache is Django's DatabaseCache, and every request's throttle
    bookkeeping costs six queries (read, cull count, savepoint, read, update, release) whatever
    the endpoint; production keeps them in Redis. The counts below are the endpoint's own.
    """
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def crowd(admin_user, manager_user, local_cache) -> dict[str, Any]:
    """ROWS units, positions and employees inside the manager's scope, and ROWS history rows."""
    root = make_unit("CROWD")
    manager_user.scope.add(root)
    units = [make_unit(f"C{i:02d}", parent=root) for i in range(ROWS)]
    for i, u in enumerate(units):
        make_position(u, code=f"CP{i:02d}")
        make_employee(u, employee_number=f"CE{i:02d}")
    subject = Employee.objects.get(employee_number="CE00")
    subject, _ = transition_apply(subject=subject, transition="start_onboarding", actor=admin_user)
    subject, _ = transition_apply(subject=subject, transition="activate", actor=manager_user)
    while EmployeeTransitionLog.objects.filter(subject=subject).count() < ROWS:
        name = "start_leave" if subject.state == "active" else "return_from_leave"
        subject, _ = transition_apply(subject=subject, transition=name, actor=manager_user)
    return {"subject": subject}


LIST_URLS = {
    "org-units": "/api/v1/org-units/",
    "positions": "/api/v1/positions/",
    "employees": "/api/v1/employees/",
    "history": "/api/v1/employees/{subject}/history/",
}


@pytest.mark.parametrize("role", ["admin", "manager"])
@pytest.mark.parametrize("endpoint", list(LIST_URLS))
def test_list_query_count_is_flat_and_small(
    endpoint, role, crowd, request, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"as_{role}")
    url = LIST_URLS[endpoint].format(subject=crowd["subject"].pk)
    assert client.get(url).status_code == 200  # warm up per-process caches

    counts: dict[int, int] = {}
    for size in (1, 100):
        with django_assert_max_num_queries(5) as captured:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] >= ROWS
        assert len(body["results"]) == min(size, body["count"])
        counts[size] = len(captured.captured_queries)
    assert counts[1] == counts[100], counts


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_employee_detail_query_count_is_small(role, crowd, request):
    client = request.getfixturevalue(f"as_{role}")
    url = f"/api/v1/employees/{crowd['subject'].pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert len(captured.captured_queries) <= 5, [q["sql"] for q in captured.captured_queries]
