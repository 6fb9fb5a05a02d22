"""Transition buttons in the Django admin go through the one path and log the admin."""

from __future__ import annotations

import pytest

from apps.fsm.models import EmployeeTransitionLog
from apps.org.models import Employee, OrgUnit
from tests.factories.org import make_employee, make_unit

pytestmark = pytest.mark.django_db


def test_transition_button_applies_and_logs_admin_as_actor(admin_client_, admin_user):
    employee = make_employee(make_unit())
    url = f"/admin/org/employee/{employee.pk}/transition/start_onboarding/"
    page = admin_client_.get(url)
    assert page.status_code == 200
    response = admin_client_.post(url, {"reason": "hired"})
    assert response.status_code == 302
    employee = Employee.objects.get(pk=employee.pk)
    assert employee.state == "onboarding"
    log = EmployeeTransitionLog.objects.get(subject=employee)
    assert log.actor == admin_user
    assert log.reason == "hired"


def test_illegal_transition_in_admin_changes_nothing(admin_client_):
    employee = make_employee(make_unit())
    response = admin_client_.post(
        f"/admin/org/employee/{employee.pk}/transition/activate/", {"reason": "x"}
    )
    assert response.status_code == 200  # the form again, with the error message
    assert Employee.objects.get(pk=employee.pk).state == "candidate"
    assert not EmployeeTransitionLog.objects.exists()


def test_change_page_shows_buttons_and_history(admin_client_, admin_user):
    employee = make_employee(make_unit())
    page = admin_client_.get(f"/admin/org/employee/{employee.pk}/change/")
    assert page.status_code == 200
    assert b"start_onboarding" in page.content


def test_logs_are_read_only_in_admin(admin_client_, admin_user):
    from apps.fsm.services import transition_apply

    employee = make_employee(make_unit())
    transition_apply(subject=employee, transition="start_onboarding", actor=admin_user)
    log = EmployeeTransitionLog.objects.get()
    assert admin_client_.get("/admin/fsm/employeetransitionlog/").status_code == 200
    detail = admin_client_.get(f"/admin/fsm/employeetransitionlog/{log.pk}/change/")
    assert detail.status_code == 200
    assert b'name="reason"' not in detail.content
    assert (
        admin_client_.post(
            f"/admin/fsm/employeetransitionlog/{log.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert EmployeeTransitionLog.objects.filter(pk=log.pk).exists()


def test_org_unit_admin_keeps_paths(admin_client_):
    root = make_unit(code="ROOT")
    response = admin_client_.post(
        "/admin/org/orgunit/add/", {"code": "KID", "name": "Kid", "parent": root.pk, "active": "on"}
    )
    assert response.status_code == 302
    kid = OrgUnit.objects.get(code="KID")
    assert kid.path == f"{root.path}{kid.pk}/"
