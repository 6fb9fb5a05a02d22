"""Tags in the Django admin: inline changes on employees and positions go through the services
and are logged with the admin as the actor; inactive tags are refused; the log is read-only."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.fsm.verify import verify_log
from apps.tags.models import EmployeeTag, PositionTag, TagChangeLog
from tests.admin_pages import form_data
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee():
    return make_employee(make_unit(), first_name="Ada", last_name="Lovelace")


def test_employee_inline_add_change_delete_are_logged_with_the_admin(
    admin_client_, admin_user, employee
):
    forklift = make_tag("forklift")
    sql = make_tag("sql")
    held = give_tag(employee, sql, level=2)
    url = f"/admin/org/employee/{employee.pk}/change/"
    data = form_data(admin_client_.get(url))
    # Change the held tag's level, and add a new one in the extra form.
    assert data["tags-0-level"] == 2
    data["tags-0-level"] = "4"
    data["tags-TOTAL_FORMS"] = "2"
    data.update(
        {
            "tags-1-tag": forklift.pk,
            "tags-1-level": "3",
            "tags-1-valid_from": "2026-01-01",
            "tags-1-valid_until": "2026-12-31",
        }
    )
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]

    assert EmployeeTag.objects.get(pk=held.pk).level == 4
    added = EmployeeTag.objects.get(tag=forklift)
    assert (added.level, added.valid_until) == (3, dt.date(2026, 12, 31))
    logs = list(TagChangeLog.objects.filter(actor=admin_user).order_by("id"))
    assert [(log.action, log.tag_id) for log in logs] == [("change", sql.pk), ("add", forklift.pk)]
    assert (logs[0].before["level"], logs[0].after["level"]) == (2, 4)
    assert logs[1].after["valid_until"] == "2026-12-31"
    assert all(log.reason == "Django admin" for log in logs)

    data = form_data(admin_client_.get(url))
    index = next(i for i in range(2) if data[f"tags-{i}-id"] == added.pk)
    data[f"tags-{index}-DELETE"] = "on"
    assert admin_client_.post(url, data).status_code == 302
    assert not EmployeeTag.objects.filter(pk=added.pk).exists()
    removed = TagChangeLog.objects.get(action="remove")
    assert removed.actor == admin_user
    assert removed.before["id"] == added.pk
    assert verify_log(TagChangeLog)["ok"] is True


def test_inline_refuses_an_inactive_tag_and_writes_nothing(admin_client_, employee):
    retired = make_tag("lotus-notes", active=False)
    url = f"/admin/org/employee/{employee.pk}/change/"
    data = form_data(admin_client_.get(url))
    data["tags-TOTAL_FORMS"] = "1"
    data.update({"tags-0-tag": retired.pk, "tags-0-level": "3", "tags-0-valid_from": "2026-01-01"})
    response = admin_client_.post(url, data)
    assert response.status_code == 200  # the form again, with the error
    assert "inactive" in response.content.decode()
    assert not EmployeeTag.objects.exists()
    assert not TagChangeLog.objects.exists()


def test_position_inline_is_logged_with_the_admin(admin_client_, admin_user):
    position = make_position(make_unit())
    forklift = make_tag("forklift")
    url = f"/admin/org/position/{position.pk}/change/"
    data = form_data(admin_client_.get(url))
    data["tags-TOTAL_FORMS"] = "1"
    data.update(
        {"tags-0-tag": forklift.pk, "tags-0-requirement": "required", "tags-0-min_level": "2"}
    )
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    needed = PositionTag.objects.get()
    assert (needed.position_id, needed.min_level) == (position.pk, 2)
    log = TagChangeLog.objects.get()
    assert (log.subject_type, log.subject_id, log.action, log.actor) == (
        "position",
        position.pk,
        "add",
        admin_user,
    )


def test_standalone_employee_tag_admin_goes_through_the_services(
    admin_client_, admin_user, employee
):
    forklift = make_tag("forklift")
    response = admin_client_.post(
        "/admin/tags/employeetag/add/",
        {"employee": employee.pk, "tag": forklift.pk, "level": "2", "valid_from": "2026-02-02"},
    )
    assert response.status_code == 302, response.context and response.context["errors"]
    row = EmployeeTag.objects.get()
    response = admin_client_.post(f"/admin/tags/employeetag/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not EmployeeTag.objects.exists()
    assert [(log.action, log.actor) for log in TagChangeLog.objects.order_by("id")] == [
        ("add", admin_user),
        ("remove", admin_user),
    ]


def test_catalogue_and_log_pages(admin_client_, employee):
    tag = make_tag("forklift")
    give_tag(employee, tag)
    assert admin_client_.get("/admin/tags/tagcatalog/").status_code == 200
    response = admin_client_.post(
        f"/admin/tags/tagcatalog/{tag.pk}/change/",
        {
            "code": "forklift",
            "label": "Forklift licence",
            "category": "licence",
            "description": "",
            "active": "",
        },
    )
    assert response.status_code == 302
    tag.refresh_from_db()
    assert (tag.label, tag.active) == ("Forklift licence", False)
    log = TagChangeLog.objects.get()
    assert admin_client_.get("/admin/tags/tagchangelog/").status_code == 200
    detail = admin_client_.get(f"/admin/tags/tagchangelog/{log.pk}/change/")
    assert detail.status_code == 200
    assert b'name="reason"' not in detail.content
    assert (
        admin_client_.post(
            f"/admin/tags/tagchangelog/{log.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert TagChangeLog.objects.filter(pk=log.pk).exists()
    listing = admin_client_.get("/admin/tags/employeetag/?validity=open")
    assert listing.status_code == 200
    assert "Ada" in listing.content.decode()
    assert admin_client_.get("/admin/tags/positiontag/?requirement=required").status_code == 200
