"""No existence oracle (issue 16, item 8): a list filtered by the id of a row outside the
caller's scope answers exactly like one filtered by an id that does not exist."""

from __future__ import annotations

import pytest

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
