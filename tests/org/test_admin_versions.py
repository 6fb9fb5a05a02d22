"""Hours versions in the Django admin: the employee and position pages list them read-only and
add new ones through the services (the admin as the actor); a change of the figure on the page
is a version too; the versions' own admins add and never change or delete."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.org import services
from apps.org.models import ContractHours, Employee, WeeklyHours
from tests.admin_pages import form_data
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

D = Decimal
TODAY = dt.date(2026, 6, 10)
EMPLOYEE_INLINE = "contract_hours_versions"


@pytest.fixture(autouse=True)
def today(monkeypatch) -> None:
    monkeypatch.setattr(services.timezone, "localdate", lambda *a, **k: TODAY)


@pytest.fixture
def employee() -> Employee:
    return make_employee(make_unit(), hire_date=dt.date(2026, 1, 5), contract_hours=D("40"))


def test_the_employee_page_lists_the_versions(admin_client_, employee):
    services.contract_hours_add(
        employee=employee, valid_from=dt.date(2026, 9, 1), hours=D("21.50"), actor=None
    )
    page = admin_client_.get(f"/admin/org/employee/{employee.pk}/change/")
    assert page.status_code == 200
    assert b"ontract hours (versions)" in page.content
    assert b"21.50" in page.content


def test_a_version_added_on_the_employee_page_goes_through_the_service(
    admin_client_, admin_user, employee
):
    url = f"/admin/org/employee/{employee.pk}/change/"
    data = form_data(admin_client_.get(url))
    total = int(data[f"{EMPLOYEE_INLINE}-TOTAL_FORMS"])
    data[f"{EMPLOYEE_INLINE}-TOTAL_FORMS"] = str(total + 1)
    data |= {
        f"{EMPLOYEE_INLINE}-{total}-valid_from": "2026-03-02",
        f"{EMPLOYEE_INLINE}-{total}-hours": "30.00",
        f"{EMPLOYEE_INLINE}-{total}-note": "part time",
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    latest = ContractHours.objects.filter(employee=employee).first()
    assert latest is not None
    assert (latest.valid_from, latest.hours, latest.note, latest.actor) == (
        dt.date(2026, 3, 2),
        D("30.00"),
        "part time",
        admin_user,
    )
    employee.refresh_from_db()
    assert employee.contract_hours == D("30.00")  # in force today


def test_a_version_before_the_hire_date_is_a_form_error(admin_client_, employee):
    url = f"/admin/org/employee/{employee.pk}/change/"
    data = form_data(admin_client_.get(url))
    total = int(data[f"{EMPLOYEE_INLINE}-TOTAL_FORMS"])
    data[f"{EMPLOYEE_INLINE}-TOTAL_FORMS"] = str(total + 1)
    data |= {
        f"{EMPLOYEE_INLINE}-{total}-valid_from": "2025-12-01",
        f"{EMPLOYEE_INLINE}-{total}-hours": "30.00",
    }
    response = admin_client_.post(url, data)
    assert response.status_code == 200
    assert b"cannot start before" in response.content
    assert ContractHours.objects.filter(employee=employee).count() == 1


def test_changing_the_figure_on_the_page_writes_a_version_from_today(
    admin_client_, admin_user, employee
):
    url = f"/admin/org/employee/{employee.pk}/change/"
    data = form_data(admin_client_.get(url))
    data["contract_hours"] = "36.00"
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(
        ContractHours.objects.filter(employee=employee).values_list("valid_from", "hours", "actor")
    ) == [(TODAY, D("36.00"), admin_user.pk), (dt.date(2026, 1, 5), D("40.00"), None)]


def test_adding_a_position_in_the_admin_writes_its_first_version(admin_client_, admin_user):
    unit = make_unit()
    page = admin_client_.get("/admin/org/position/add/")
    data = form_data(page)
    data |= {
        "code": "ADM-1",
        "title": "Admin made",
        "org_unit": unit.pk,
        "weekly_hours": "18.00",
        "start_date": "2026-02-02",
        "active": "on",
    }
    response = admin_client_.post("/admin/org/position/add/", data)
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(
        WeeklyHours.objects.filter(position__code="ADM-1").values_list(
            "valid_from", "hours", "actor"
        )
    ) == [(dt.date(2026, 2, 2), D("18.00"), admin_user.pk)]


def test_version_admins_add_but_never_change_or_delete(admin_client_, admin_user):
    position = make_position(make_unit(), start_date=dt.date(2026, 1, 5))
    version = WeeklyHours.objects.get(position=position)
    assert admin_client_.get("/admin/org/weeklyhours/").status_code == 200
    change_url = f"/admin/org/weeklyhours/{version.pk}/change/"
    assert admin_client_.get(change_url).status_code == 200  # shown read-only
    assert admin_client_.post(change_url, {"hours": "1"}).status_code == 403
    assert admin_client_.post(f"/admin/org/weeklyhours/{version.pk}/delete/").status_code == 403
    response = admin_client_.post(
        "/admin/org/weeklyhours/add/",
        {"position": position.pk, "valid_from": "2026-04-06", "hours": "12.00", "note": "x"},
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    assert list(
        WeeklyHours.objects.filter(position=position).values_list("valid_from", "hours", "actor")
    ) == [(dt.date(2026, 4, 6), D("12.00"), admin_user.pk), (dt.date(2026, 1, 5), D("40.00"), None)]
    version.refresh_from_db()
    assert version.hours == D("40.00")
