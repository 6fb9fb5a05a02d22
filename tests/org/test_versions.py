"""Dated master data (DESIGN.md §7): employees/{id}/contract-hours/ and
positions/{id}/weekly-hours/, the versions the services write, the figure kept on the employee
and position, and the data migration's first versions."""

from __future__ import annotations

import datetime as dt
import importlib
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.org import services
from apps.org.models import ContractHours, Employee, Position, WeeklyHours
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

D = Decimal
HIRE = dt.date(2026, 1, 5)
TODAY = dt.date(2026, 6, 10)  # a Wednesday; the services' "today" in these tests


@pytest.fixture(autouse=True)
def today(monkeypatch) -> dt.date:
    monkeypatch.setattr(services.timezone, "localdate", lambda *a, **k: TODAY)
    return TODAY


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


@pytest.fixture
def world(manager_user, employee_user) -> dict[str, Any]:
    inside, outside = make_unit("IN"), make_unit("OUT")
    manager_user.scope.add(inside)
    return {
        "emp_in": make_employee(inside, employee_number="E-IN", hire_date=HIRE),
        "emp_out": make_employee(outside, employee_number="E-OUT", hire_date=HIRE),
        "emp_own": make_employee(outside, employee_number="E-OWN", user=employee_user),
        "pos_in": make_position(inside, code="P-IN", start_date=HIRE),
        "pos_out": make_position(outside, code="P-OUT", start_date=HIRE),
    }


def contract_url(employee: Employee) -> str:
    return f"/api/v1/employees/{employee.pk}/contract-hours/"


def weekly_url(position: Position) -> str:
    return f"/api/v1/positions/{position.pk}/weekly-hours/"


def listed(response: Any) -> list[tuple[str, str, str]]:
    assert response.status_code == 200, response.content
    return [(r["valid_from"], r["hours"], r["note"]) for r in response.json()["results"]]


# --- creation writes the first version --------------------------------------------------------


def test_creating_an_employee_through_the_api_writes_the_first_version(as_admin, admin_user):
    unit = make_unit()
    response = as_admin.post(
        "/api/v1/employees/",
        {
            "employee_number": "E-9",
            "first_name": "Bo",
            "last_name": "Lund",
            "org_unit": unit.pk,
            "contract_hours": "32.50",
            "hire_date": "2026-02-02",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    (version,) = ContractHours.objects.filter(employee_id=response.json()["id"])
    assert (version.valid_from, version.hours, version.actor) == (
        dt.date(2026, 2, 2),
        D("32.50"),
        admin_user,
    )
    assert version.recorded_at is not None


def test_creating_a_position_through_the_api_writes_the_first_version(as_admin, admin_user):
    unit = make_unit()
    response = as_admin.post(
        "/api/v1/positions/",
        {
            "code": "P-9",
            "title": "Porter",
            "org_unit": unit.pk,
            "weekly_hours": "20.00",
            "start_date": "2026-03-02",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    rows = list(
        WeeklyHours.objects.filter(position_id=response.json()["id"]).values_list(
            "valid_from", "hours", "actor"
        )
    )
    assert rows == [(dt.date(2026, 3, 2), D("20.00"), admin_user.pk)]


# --- the endpoints -----------------------------------------------------------------------------


def test_list_is_newest_valid_from_first(world, as_admin):
    employee = world["emp_in"]
    services.contract_hours_add(
        employee=employee, valid_from=dt.date(2026, 9, 1), hours=D("20"), note="b", actor=None
    )
    services.contract_hours_add(
        employee=employee, valid_from=dt.date(2026, 3, 1), hours=D("30"), note="a", actor=None
    )
    body = as_admin.get(contract_url(employee)).json()
    assert body["count"] == 3
    assert set(body["results"][0]) == {
        "id",
        "employee",
        "valid_from",
        "hours",
        "note",
        "actor",
        "recorded_at",
    }
    assert listed(as_admin.get(contract_url(employee))) == [
        ("2026-09-01", "20.00", "b"),
        ("2026-03-01", "30.00", "a"),
        ("2026-01-05", "40.00", ""),
    ]


def test_post_backdated_version_changes_the_figure(world, as_admin, admin_user):
    employee = world["emp_in"]
    response = as_admin.post(
        contract_url(employee),
        {"valid_from": "2026-02-02", "hours": "30.00", "note": "reduced"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["employee"], body["valid_from"], body["hours"], body["note"], body["actor"]) == (
        employee.pk,
        "2026-02-02",
        "30.00",
        "reduced",
        admin_user.pk,
    )
    assert ContractHours.objects.filter(employee=employee).count() == 2
    assert as_admin.get(f"/api/v1/employees/{employee.pk}/").json()["contract_hours"] == "30.00"


def test_post_future_dated_version_leaves_todays_figure(world, as_admin):
    position = world["pos_in"]
    response = as_admin.post(
        weekly_url(position), {"valid_from": "2026-09-07", "hours": "24.00"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["note"] == ""
    position.refresh_from_db()
    assert position.weekly_hours == D("40.00")
    assert listed(as_admin.get(weekly_url(position))) == [
        ("2026-09-07", "24.00", ""),
        ("2026-01-05", "40.00", ""),
    ]


def test_before_it_starts_the_figure_is_the_first_version(as_admin):
    employee = make_employee(make_unit(), hire_date=dt.date(2026, 8, 3))
    response = as_admin.post(
        contract_url(employee), {"valid_from": "2026-08-03", "hours": "18.00"}, format="json"
    )
    assert response.status_code == 201, response.content
    employee.refresh_from_db()
    assert employee.contract_hours == D("18.00")


def test_same_valid_from_twice_the_latest_recorded_wins(world, as_admin):
    employee = world["emp_in"]
    for hours in ("30.00", "25.00"):
        response = as_admin.post(
            contract_url(employee), {"valid_from": "2026-04-06", "hours": hours}, format="json"
        )
        assert response.status_code == 201, response.content
    employee.refresh_from_db()
    assert employee.contract_hours == D("25.00")
    # both versions are kept: a correction is a new version, never an edit
    assert listed(as_admin.get(contract_url(employee))) == [
        ("2026-04-06", "25.00", ""),
        ("2026-04-06", "30.00", ""),
        ("2026-01-05", "40.00", ""),
    ]
    # the supply reads the winner: W15 (Apr 6-12) is 25 h a week
    supply = as_admin.get(
        f"/api/v1/supply/?employee={employee.pk}&from=2026-04-06&to=2026-04-06"
    ).json()["results"]
    assert [r["contract"] for r in supply] == ["25.00"]


def test_a_version_before_the_hire_date_is_a_400(world, as_admin):
    employee = world["emp_in"]
    body = problem(
        as_admin.post(
            contract_url(employee), {"valid_from": "2026-01-04", "hours": "30"}, format="json"
        ),
        400,
        "invalid",
    )
    assert "valid_from" in body["errors"]
    assert ContractHours.objects.filter(employee=employee).count() == 1


def test_a_version_before_the_start_date_is_a_400(world, as_admin):
    position = world["pos_in"]
    body = problem(
        as_admin.post(
            weekly_url(position), {"valid_from": "2025-12-31", "hours": "30"}, format="json"
        ),
        400,
        "invalid",
    )
    assert "valid_from" in body["errors"]
    assert WeeklyHours.objects.filter(position=position).count() == 1


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"valid_from": "2026-03-02", "hours": "30", "id": 5}, "id"),
        ({"valid_from": "2026-03-02", "hours": "30", "recorded_at": "2020-01-01T00:00Z"}, None),
        ({"valid_from": "2026-03-02", "hours": "-1"}, "hours"),
        ({"valid_from": "2026-03-02", "hours": "168.01"}, "hours"),
        ({"valid_from": "2026-03-02", "hours": "abc"}, "hours"),
        ({"valid_from": "yesterday", "hours": "30"}, "valid_from"),
        ({"hours": "30"}, "valid_from"),
        ({"valid_from": "2026-03-02"}, "hours"),
    ],
)
def test_bad_input_is_a_400(world, as_admin, payload, field):
    employee = world["emp_in"]
    body = problem(as_admin.post(contract_url(employee), payload, format="json"), 400)
    assert (field or "recorded_at") in body["errors"], body
    assert ContractHours.objects.filter(employee=employee).count() == 1


def test_versions_are_never_changed_through_the_api(world, as_admin):
    url = contract_url(world["emp_in"])
    for method in ("put", "patch", "delete"):
        assert getattr(as_admin, method)(url, {}, format="json").status_code == 405


def test_manager_in_scope_reads_and_writes(world, as_manager, manager_user):
    response = as_manager.post(
        contract_url(world["emp_in"]), {"valid_from": "2026-05-04", "hours": "20"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["actor"] == manager_user.pk
    response = as_manager.post(
        weekly_url(world["pos_in"]), {"valid_from": "2026-05-04", "hours": "20"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert as_manager.get(weekly_url(world["pos_in"])).json()["count"] == 2


def test_outside_the_scope_is_a_404(world, as_manager, as_employee):
    for client in (as_manager, as_employee):
        problem(client.get(contract_url(world["emp_out"])), 404, "not_found")
        problem(client.get(weekly_url(world["pos_out"])), 404, "not_found")
        problem(
            client.post(
                contract_url(world["emp_out"]),
                {"valid_from": "2026-05-04", "hours": "20"},
                format="json",
            ),
            404,
            "not_found",
        )
    problem(as_manager.get("/api/v1/employees/999999/contract-hours/"), 404, "not_found")
    assert ContractHours.objects.filter(employee=world["emp_out"]).count() == 1


def test_roles_that_may_not_write_get_a_403(world, as_auditor, as_employee):
    payload = {"valid_from": "2026-05-04", "hours": "20"}
    # the auditor sees everything and changes nothing; an employee reads their own record only
    assert as_auditor.get(contract_url(world["emp_out"])).status_code == 200
    assert as_employee.get(contract_url(world["emp_own"])).status_code == 200
    problem(as_auditor.post(contract_url(world["emp_out"]), payload, format="json"), 403)
    problem(as_auditor.post(weekly_url(world["pos_out"]), payload, format="json"), 403)
    problem(as_employee.post(contract_url(world["emp_own"]), payload, format="json"), 403)
    assert ContractHours.objects.filter(employee=world["emp_own"]).count() == 1
    assert ContractHours.objects.filter(employee=world["emp_out"]).count() == 1


def test_unauthenticated_is_a_401(world, client):
    assert client.get(contract_url(world["emp_in"])).status_code == 401


@pytest.mark.parametrize("page_size", [1, 50])
def test_versions_list_query_count_does_not_depend_on_page_size(
    world, as_admin, page_size, django_assert_max_num_queries
):
    employee = world["emp_in"]
    for i in range(60):
        services.contract_hours_add(
            employee=employee,
            valid_from=HIRE + dt.timedelta(days=i),
            hours=D(20 + i % 10),
            actor=None,
        )
    with CaptureQueriesContext(connection) as baseline:
        as_admin.get(f"{contract_url(employee)}?page_size=1")
    with django_assert_max_num_queries(len(baseline)):
        response = as_admin.get(f"{contract_url(employee)}?page_size={page_size}")
    assert len(response.json()["results"]) == page_size


# --- PATCH / PUT of the figure writes a version ------------------------------------------------


def test_patch_of_the_contract_hours_writes_a_version_from_today(world, as_admin, admin_user):
    employee = world["emp_in"]
    response = as_admin.patch(
        f"/api/v1/employees/{employee.pk}/", {"contract_hours": "32.00"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["contract_hours"] == "32.00"
    latest = ContractHours.objects.filter(employee=employee).first()
    assert latest is not None
    assert (latest.valid_from, latest.hours, latest.actor) == (TODAY, D("32.00"), admin_user)
    # the weeks before today keep the old hours
    supply = as_admin.get(
        f"/api/v1/supply/?employee={employee.pk}&from=2026-06-01&to=2026-06-15"
    ).json()["results"]
    # W23: 40 h Mon-Tue, 32 h Wed-Sun: (2 × 40 + 5 × 32) / 7 = 34.29
    assert [r["contract"] for r in supply] == ["40.00", "34.29", "32.00"]


def test_patch_of_the_weekly_hours_of_a_future_position_is_from_its_start(as_admin):
    position = make_position(make_unit(), start_date=dt.date(2026, 9, 7))
    response = as_admin.patch(
        f"/api/v1/positions/{position.pk}/", {"weekly_hours": "12.50"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert list(
        WeeklyHours.objects.filter(position=position).values_list("valid_from", "hours")
    ) == [(dt.date(2026, 9, 7), D("12.50")), (dt.date(2026, 9, 7), D("40.00"))]
    assert response.json()["weekly_hours"] == "12.50"


def test_patch_without_a_change_of_hours_writes_no_version(world, as_admin):
    employee = world["emp_in"]
    response = as_admin.patch(
        f"/api/v1/employees/{employee.pk}/",
        {"first_name": "Zoe", "contract_hours": "40.00"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert ContractHours.objects.filter(employee=employee).count() == 1


def test_put_that_changes_the_weekly_hours_writes_a_version(world, as_admin):
    position = world["pos_in"]
    body = as_admin.get(f"/api/v1/positions/{position.pk}/").json()
    payload = {k: body[k] for k in ("code", "title", "org_unit", "start_date", "end_date")}
    payload |= {"weekly_hours": "36.00", "active": True}
    response = as_admin.put(f"/api/v1/positions/{position.pk}/", payload, format="json")
    assert response.status_code == 200, response.content
    assert list(
        WeeklyHours.objects.filter(position=position).values_list("valid_from", "hours")
    ) == [(TODAY, D("36.00")), (HIRE, D("40.00"))]


# --- the data migration -----------------------------------------------------------------------


def test_the_data_migration_gives_every_row_its_first_version():
    migration = importlib.import_module("apps.org.migrations.0007_first_hours_versions")
    unit = make_unit()
    # rows as they were before versions existed
    employee = Employee.objects.create(
        employee_number="OLD-1",
        first_name="Old",
        last_name="Row",
        org_unit=unit,
        contract_hours=D("22.50"),
        hire_date=dt.date(2025, 4, 7),
    )
    position = Position.objects.create(
        code="OLD-P",
        title="Old",
        org_unit=unit,
        weekly_hours=D("80.00"),
        start_date=dt.date(2025, 5, 5),
    )
    served = make_employee(unit)  # already has its version: left alone
    with connection.cursor() as cursor:
        cursor.execute(migration.FIRST_VERSIONS)
        cursor.execute(migration.FIRST_VERSIONS)  # and running it again adds nothing
    assert list(
        ContractHours.objects.filter(employee=employee).values_list("valid_from", "hours")
    ) == [(dt.date(2025, 4, 7), D("22.50"))]
    assert list(
        WeeklyHours.objects.filter(position=position).values_list("valid_from", "hours")
    ) == [(dt.date(2025, 5, 5), D("80.00"))]
    assert ContractHours.objects.filter(employee=served).count() == 1


def test_seeded_demo_data_has_first_versions():
    from django.core.management import call_command

    call_command("seed_demo", "--employees", "30", "--positions", "10", verbosity=0)
    employees = Employee.objects.filter(employee_number__startswith="E")
    assert employees.exists()
    for employee in employees:
        first = ContractHours.objects.filter(employee=employee).order_by("valid_from").first()
        assert first is not None
        assert (first.valid_from, first.hours) == (employee.hire_date, employee.contract_hours)
    for position in Position.objects.all():
        first = WeeklyHours.objects.filter(position=position).order_by("valid_from").first()
        assert first is not None
        assert (first.valid_from, first.hours) == (position.start_date, position.weekly_hours)


# --- the daily refresh of the figures ---------------------------------------------------------


def test_the_daily_refresh_shows_a_scheduled_version_from_its_first_day(world, monkeypatch):
    from django.core.management import call_command

    employee, position = world["emp_in"], world["pos_in"]
    services.contract_hours_add(
        employee=employee, valid_from=dt.date(2026, 7, 1), hours=D("24"), actor=None
    )
    services.weekly_hours_add(
        position=position, valid_from=dt.date(2026, 7, 1), hours=D("60"), actor=None
    )
    untouched = world["emp_out"]
    stamp = Employee.objects.get(pk=untouched.pk).updated_at

    assert services.hours_figures_refresh(day=dt.date(2026, 6, 30)) == 0
    monkeypatch.setattr(services.timezone, "localdate", lambda *a, **k: dt.date(2026, 7, 1))
    call_command("refresh_hours_figures", verbosity=0)

    employee.refresh_from_db()
    position.refresh_from_db()
    assert (employee.contract_hours, position.weekly_hours) == (D("24.00"), D("60.00"))
    assert Employee.objects.get(pk=untouched.pk).updated_at == stamp
    assert services.hours_figures_refresh(day=dt.date(2026, 7, 1)) == 0
    # and back, as of a day before the change (the first version before any starts too)
    assert services.hours_figures_refresh(day=dt.date(2025, 1, 1)) == 2
    employee.refresh_from_db()
    assert employee.contract_hours == D("40.00")


def test_the_employee_list_filters_do_not_apply_to_the_versions(world, as_admin):
    # a list filter that the employee does not match must not hide it (404)
    response = as_admin.get(contract_url(world["emp_in"]), {"state": "terminated"})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 1
