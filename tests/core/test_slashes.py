"""Every URL answers with and without its trailing slash, for every method (issue 16, item 1):
no redirect that loses a body, no 500 under DEBUG."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.leave.models import LeaveEntitlement, LeaveRequest
from apps.org.models import OrgUnit
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_a_post_without_the_slash_creates(as_admin, debug):
    response = as_admin.post(
        "/api/v1/org-units", {"code": "NOSLASH", "name": "No slash"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert OrgUnit.objects.filter(code="NOSLASH").exists()


def test_patch_and_delete_without_the_slash(as_admin, debug):
    unit = make_unit()
    assert (
        as_admin.patch(
            f"/api/v1/org-units/{unit.pk}", {"name": "Renamed"}, format="json"
        ).status_code
        == 200
    )
    position = make_position(unit)
    created = as_admin.post(
        "/api/v1/coverage-requirements",
        {
            "position": position.pk,
            "start_date": "2026-03-02",
            "end_date": "2026-03-08",
            "required_hours": "10",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert as_admin.delete(f"/api/v1/coverage-requirements/{pk}").status_code == 204


def test_leave_without_the_slash(as_admin, debug):
    """Ask for leave, approve it, read the balance, and change and remove an entitlement, all
    without the trailing slash: each does what it does with the slash, no redirect."""
    unit = make_unit()
    employee = make_employee(unit, hire_date=dt.date(2025, 1, 6))
    start = dt.date(timezone.localdate().year + 1, 3, 1)
    start -= dt.timedelta(days=start.weekday())
    entitlement = as_admin.post(
        "/api/v1/leave-entitlements",
        {"employee": employee.pk, "year": start.year, "kind": "vacation", "hours": "80.00"},
        format="json",
    )
    assert entitlement.status_code == 201, entitlement.content
    asked = as_admin.post(
        "/api/v1/leave-requests",
        {
            "employee": employee.pk,
            "start_date": start.isoformat(),
            "end_date": (start + dt.timedelta(days=4)).isoformat(),
        },
        format="json",
    )
    assert asked.status_code == 201, asked.content
    pk = asked.json()["id"]
    approved = as_admin.post(
        f"/api/v1/leave-requests/{pk}/transitions", {"transition": "approve"}, format="json"
    )
    assert approved.status_code == 200, approved.content
    assert LeaveRequest.objects.get(pk=pk).state == "approved"
    simulated = as_admin.post(
        "/api/v1/leave-requests/simulate",
        {
            "employee": employee.pk,
            "start_date": (start + dt.timedelta(days=7)).isoformat(),
            "end_date": (start + dt.timedelta(days=8)).isoformat(),
        },
        format="json",
    )
    assert simulated.status_code == 200, simulated.content
    for path in (
        f"/api/v1/leave-requests/{pk}",
        f"/api/v1/leave-requests/{pk}/history",
        f"/api/v1/employees/{employee.pk}/leave-balance?year={start.year}",
    ):
        assert as_admin.get(path).status_code == 200, path
    balance = as_admin.get(f"/api/v1/employees/{employee.pk}/leave-balance?year={start.year}")
    assert balance.json()["approved"] == asked.json()["hours"]
    url = f"/api/v1/leave-entitlements/{entitlement.json()['id']}"
    changed = as_admin.patch(url, {"hours": "96.00"}, format="json")
    assert changed.status_code == 200, changed.content
    assert changed.json()["hours"] == "96.00"
    assert as_admin.get(f"{url}/history").status_code == 200
    assert as_admin.delete(url).status_code == 204
    assert not LeaveEntitlement.objects.filter(pk=entitlement.json()["id"]).exists()


@pytest.mark.parametrize(
    "path",
    ["/api/v1/employees", "/api/v1/coverage", "/api/v1/audit-log", "/healthz/", "/readyz/"],
)
def test_reads_with_the_other_slash(as_admin, debug, path):
    response = as_admin.get(path)
    assert response.status_code in (200, 503), (path, response.status_code)
    assert response.status_code != 301


def test_an_unknown_url_stays_a_404_either_way(as_admin, debug):
    for path in ("/api/v1/planets", "/api/v1/planets/"):
        response = as_admin.post(path, {}, format="json")
        assert response.status_code == 404, path
