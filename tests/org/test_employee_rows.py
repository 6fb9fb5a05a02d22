"""The employees list's fast path (`.values()` rows, no serializer per row) shows exactly what
EmployeeSerializer shows, field for field, for employees of every shape."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from apps.core.renderers import JSONRenderer
from apps.org.models import Employee
from apps.org.serializers import EmployeeDetailSerializer, EmployeeSerializer
from apps.users.models import Role
from tests.factories.org import make_employee, make_unit
from tests.factories.tags import give_tag, make_tag
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(admin_user) -> list[Employee]:
    """Employees with and without tags, end dates, e-mail, a login, odd contract hours."""
    unit, other = make_unit(name="Ward Ä"), make_unit(name="Night shift")
    login = UserFactory(role=Role.EMPLOYEE, email="linked@example.test")
    people = [
        make_employee(unit),
        make_employee(unit, email="", contract_hours=Decimal("37.5")),
        make_employee(other, termination_date=dt.date(2026, 12, 31), contract_hours=Decimal("0")),
        make_employee(other, user=login, first_name="Zoë", contract_hours=Decimal("168")),
    ]
    welding, first_aid = make_tag("welding"), make_tag("first-aid", label="First aid")
    give_tag(people[0], welding, level=4, valid_from=dt.date(2026, 2, 2), actor=admin_user)
    give_tag(people[0], first_aid, level=1, valid_until=dt.date(2026, 6, 30), actor=admin_user)
    give_tag(
        people[0],
        first_aid,
        level=2,
        valid_from=dt.date(2026, 7, 1),
        actor=admin_user,
    )
    give_tag(people[3], welding, level=5, actor=admin_user)
    return people


def rendered(client: APIClient, url: str) -> object:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response.json()


def test_list_rows_equal_the_serializer(as_admin: APIClient, varied: list[Employee]) -> None:
    listed = {row["id"]: row for row in rendered(as_admin, "/api/v1/employees/")["results"]}
    assert set(listed) == {e.pk for e in varied}
    for employee in varied:
        expected = EmployeeSerializer(Employee.objects.get(pk=employee.pk)).data
        renderer = JSONRenderer()
        # Through the same renderer as the list, so dates and decimals compare as the client
        # sees them.
        assert listed[employee.pk] == json.loads(renderer.render(expected))


def test_list_rows_equal_the_detail_minus_its_transitions(
    as_admin: APIClient, varied: list[Employee]
) -> None:
    listed = {row["id"]: row for row in rendered(as_admin, "/api/v1/employees/")["results"]}
    for employee in varied:
        detail = rendered(as_admin, f"/api/v1/employees/{employee.pk}/")
        assert isinstance(detail, dict)
        detail.pop("available_transitions")
        assert listed[employee.pk] == detail


def test_list_row_keys_follow_the_documented_fields(
    as_admin: APIClient, varied: list[Employee]
) -> None:
    row = rendered(as_admin, "/api/v1/employees/?page_size=1")["results"][0]
    assert list(row) == list(EmployeeSerializer().fields)
    assert set(EmployeeDetailSerializer.Meta.fields) - set(row) == {"available_transitions"}


def test_tags_are_ordered_by_code_then_start(as_admin: APIClient, varied: list[Employee]) -> None:
    listed = {row["id"]: row for row in rendered(as_admin, "/api/v1/employees/")["results"]}
    tags = listed[varied[0].pk]["tags"]
    assert [(t["tag"], t["valid_from"]) for t in tags] == [
        ("first-aid", "2020-01-01"),
        ("first-aid", "2026-07-01"),
        ("welding", "2026-02-02"),
    ]
    assert tags[0]["valid_until"] == "2026-06-30"
    assert listed[varied[1].pk]["tags"] == []
