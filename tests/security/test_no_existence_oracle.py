"""No existence oracle (issue 16, item 8): a list filtered by the id of a row outside the
caller's scope answers exactly like one filtered by an id that does not exist."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.leave.models import LeaveRequest
from apps.org.models import ManagerScope
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

NOWHERE = 987654321


@pytest.fixture
def outside(manager_user):
    mine, other = make_unit(), make_unit()
    ManagerScope.objects.create(user=manager_user, org_unit=mine)
    position, employee = make_position(other), make_employee(other)
    make_assignment(employee, position)
    return {
        "org_unit": other.pk,
        "position": position.pk,
        "employee": employee.pk,
        "parent": other.pk,
    }


CASES = [
    ("/api/v1/employees/", "org_unit"),
    ("/api/v1/positions/", "org_unit"),
    ("/api/v1/org-units/", "parent"),
    ("/api/v1/assignments/", "org_unit"),
    ("/api/v1/assignments/", "position"),
    ("/api/v1/assignments/", "employee"),
    ("/api/v1/hours-ledger/", "employee"),
    ("/api/v1/employee-tags/", "org_unit"),
    ("/api/v1/employee-tags/", "employee"),
    ("/api/v1/position-tags/", "org_unit"),
    ("/api/v1/position-tags/", "position"),
    ("/api/v1/coverage-requirements/", "position"),
    ("/api/v1/coverage/", "position"),
    ("/api/v1/coverage/", "org_unit"),
    ("/api/v1/supply/", "employee"),
    ("/api/v1/leave-requests/", "employee"),
    ("/api/v1/leave-requests/", "org_unit"),
    ("/api/v1/leave-entitlements/", "employee"),
]


def _shape(response, value) -> tuple[int, object]:
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
    # A message may echo the value asked for ('Invalid pk "13"'): that is the caller's own input.
    return response.status_code, str(body).replace(f'"{value}"', '"ID"')


@pytest.mark.parametrize(("url", "param"), CASES)
def test_an_id_out_of_scope_answers_like_one_that_does_not_exist(as_manager, outside, url, param):
    hidden = as_manager.get(url, {param: outside[param]})
    missing = as_manager.get(url, {param: NOWHERE})
    assert _shape(hidden, outside[param]) == _shape(missing, NOWHERE), (url, param)
    assert hidden.status_code == 400


def _path_shape(response, value) -> tuple[int, object]:
    """As _shape, for a URL that names the id: the problem's `instance` (the URL) is set aside."""
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
        if "instance" in body:
            body["instance"] = body["instance"].replace(f"/{value}/", "/ID/")
    return response.status_code, str(body).replace(f'"{value}"', '"ID"')


def _leave_outside(outside) -> LeaveRequest:
    """A request of the employee outside the manager's scope (written as a row: its dates
    matter not)."""
    return LeaveRequest.objects.create(
        employee_id=outside["employee"],
        start_date=dt.date(2030, 3, 4),
        end_date=dt.date(2030, 3, 8),
        hours=Decimal("32.00"),
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda client, pk: client.post(
            "/api/v1/leave-requests/simulate/", {"request": pk}, format="json"
        ),
        lambda client, pk: client.post(
            f"/api/v1/leave-requests/{pk}/transitions/", {"transition": "approve"}, format="json"
        ),
        lambda client, pk: client.get(f"/api/v1/leave-requests/{pk}/"),
        lambda client, pk: client.get(f"/api/v1/leave-requests/{pk}/history/"),
    ],
    ids=["simulate", "transitions", "detail", "history"],
)
def test_a_leave_request_out_of_scope_answers_like_one_that_does_not_exist(
    as_manager, outside, call
):
    hidden = _leave_outside(outside)
    answer = call(as_manager, hidden.pk)
    assert answer.status_code in (400, 404), answer.content
    assert _path_shape(answer, hidden.pk) == _path_shape(call(as_manager, NOWHERE), NOWHERE)
    hidden.refresh_from_db()
    assert hidden.state == "requested"


def test_a_leave_balance_out_of_scope_answers_like_one_that_does_not_exist(as_manager, outside):
    url = "/api/v1/employees/{}/leave-balance/"
    hidden = as_manager.get(url.format(outside["employee"]))
    missing = as_manager.get(url.format(NOWHERE))
    assert hidden.status_code == 404
    assert _path_shape(hidden, outside["employee"]) == _path_shape(missing, NOWHERE)
