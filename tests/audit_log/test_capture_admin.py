"""The change log in the admin: each tracked object's History page lists who changed what and
when (old → new), including changes made outside the admin; the change log is read-only."""

from __future__ import annotations

import pytest
from django.contrib import admin

from apps.core.admin import RecordedHistoryMixin
from apps.core.capture import acting_as, tracked_models
from apps.core.models import Change
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db


def test_every_tracked_model_with_an_admin_page_shows_its_recorded_history():
    registered = [m for m in tracked_models() if m in admin.site._registry]
    assert len(registered) >= 10
    for model in registered:
        assert isinstance(admin.site._registry[model], RecordedHistoryMixin), model


def test_the_history_page_shows_who_changed_what_even_outside_the_admin(admin_client_, admin_user):
    position = make_position(make_unit(), title="Nurse")
    with acting_as(admin_user, reason="retitled"):
        type(position).objects.filter(pk=position.pk).update(title="Head nurse")
    page = admin_client_.get(f"/admin/org/position/{position.pk}/history/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Head nurse" in html
    assert "Nurse → Head nurse" in html
    assert admin_user.email in html
    assert "retitled" in html
    # Its weekly-hours version belongs to it.
    assert "weekly_hours" in html
    assert "/admin/core/change/?subject_type=position" in html


def test_a_users_history_lists_role_and_scope_changes_never_the_password(admin_client_):
    from tests.factories.users import UserFactory

    user = UserFactory(role="employee")
    user.role = "manager"
    user.set_password("another-password-123")
    user.save()
    page = admin_client_.get(f"/admin/users/user/{user.pk}/history/")
    html = page.content.decode()
    assert "employee → manager" in html
    assert "password" not in html.split('id="recorded-changes"')[1]


def test_the_change_log_admin_lists_and_filters_and_changes_nothing(admin_client_):
    employee = make_employee(make_unit())
    listing = admin_client_.get("/admin/core/change/?entity_type=employee")
    assert listing.status_code == 200
    assert str(employee.pk) in listing.content.decode()
    row = Change.objects.filter(entity_type="employee", entity_id=employee.pk).first()
    detail = admin_client_.get(f"/admin/core/change/{row.pk}/change/")
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content
    assert admin_client_.get("/admin/core/change/add/").status_code == 403
    assert admin_client_.post(f"/admin/core/change/{row.pk}/delete/").status_code == 403


def test_an_object_without_changes_says_so(admin_client_):
    from apps.business_rules.models import BusinessRule

    rule = BusinessRule.objects.first()  # seeded by a migration, before capture was installed
    page = admin_client_.get(f"/admin/business_rules/businessrule/{rule.pk}/history/")
    assert page.status_code == 200


ADMIN_EDITS = {
    "org_unit": ("org/orgunit", "name", "Via the admin"),
    "position": ("org/position", "title", "Via the admin"),
    "employee": ("org/employee", "last_name", "Via the admin"),
    "coverage_requirement": ("demand/coveragerequirement", "required_hours", "12.50"),
    "business_rule": ("business_rules/businessrule", "name", "Via the admin"),
    "tag": ("tags/tagcatalog", "label", "Via the admin"),
    "user": ("users/user", "full_name", "Via the admin"),
}


@pytest.mark.parametrize("entity_type", sorted(ADMIN_EDITS))
def test_an_admin_edit_of_each_model_is_one_change_by_the_admin(
    admin_client_, admin_user, entity_type
):
    from tests.admin_pages import form_data
    from tests.audit_log.test_capture import SUBJECTS

    obj = SUBJECTS[entity_type][0]()
    path, field, value = ADMIN_EDITS[entity_type]
    url = f"/admin/{path}/{obj.pk}/change/"
    data = form_data(admin_client_.get(url))
    data[field] = value
    before = Change.objects.filter(entity_type=entity_type, entity_id=obj.pk).count()
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    rows = list(Change.objects.filter(entity_type=entity_type, entity_id=obj.pk).order_by("id"))
    assert len(rows) == before + 1
    assert (rows[-1].action, rows[-1].actor_id) == ("update", admin_user.pk)
    assert field in rows[-1].changes
    assert rows[-1].request_id
