"""Captured changes through the API and the admin: attributed to the signed-in user, with the
request's id, in audit-log/ (filters), in each resource's history/, in the CSV export."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from apps.core.models import Change
from tests.admin_pages import form_data
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import make_tag

pytestmark = pytest.mark.django_db


def _latest(entity_type: str, entity_id: int) -> Change:
    return Change.objects.filter(entity_type=entity_type, entity_id=entity_id).latest("id")


def test_an_api_patch_is_one_change_by_the_caller_with_the_request_id(as_admin, admin_user):
    position = make_position(make_unit(), title="Nurse")
    before = Change.objects.count()
    response = as_admin.patch(
        f"/api/v1/positions/{position.pk}/",
        {"title": "Head nurse"},
        format="json",
        HTTP_X_REQUEST_ID="req-capture-1",
    )
    assert response.status_code == 200, response.content
    rows = list(Change.objects.order_by("id")[before:])
    assert [(r.entity_type, r.action) for r in rows] == [("position", "update")]
    row = rows[0]
    assert row.changes["title"] == ["Nurse", "Head nurse"]
    assert (row.actor_id, row.request_id) == (admin_user.pk, "req-capture-1")


def test_an_api_create_and_delete_are_attributed(as_admin, admin_user):
    position = make_position(make_unit())
    body = {
        "position": position.pk,
        "start_date": "2026-03-02",
        "end_date": "2026-03-29",
        "required_hours": "30.00",
    }
    response = as_admin.post("/api/v1/coverage-requirements/", body, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    created = _latest("coverage_requirement", pk)
    assert (created.action, created.actor_id) == ("create", admin_user.pk)
    assert created.changes["required_hours"] == [None, 30.0]
    assert (created.subject_type, created.subject_id) == ("position", position.pk)
    assert as_admin.delete(f"/api/v1/coverage-requirements/{pk}/").status_code == 204
    deleted = _latest("coverage_requirement", pk)
    assert (deleted.action, deleted.actor_id, deleted.prev_hash) == (
        "delete",
        admin_user.pk,
        created.hash,
    )


def test_a_role_change_through_the_api_is_recorded_and_the_password_never(as_admin, admin_user):
    from tests.factories.users import UserFactory

    user = UserFactory(role="employee")
    response = as_admin.patch(f"/api/v1/users/{user.pk}/", {"role": "auditor"}, format="json")
    assert response.status_code == 200, response.content
    row = _latest("user", user.pk)
    assert row.changes == {"role": ["employee", "auditor"]}
    assert row.actor_id == admin_user.pk
    assert not Change.objects.filter(changes__has_key="password").exists()


def test_an_admin_edit_is_attributed_to_the_admin(admin_client_, admin_user):
    unit = make_unit(name="Ward A")
    url = f"/admin/org/orgunit/{unit.pk}/change/"
    data = form_data(admin_client_.get(url))
    data["name"] = "Ward B"
    response = admin_client_.post(url, data)
    assert response.status_code == 302, response.context and response.context["errors"]
    row = _latest("org_unit", unit.pk)
    assert row.changes["name"] == ["Ward A", "Ward B"]
    assert row.actor_id == admin_user.pk
    assert row.request_id  # the admin request's id


def test_audit_log_filters_by_action_and_entity_type(as_admin):
    position = make_position(make_unit(), title="Nurse")
    as_admin.patch(f"/api/v1/positions/{position.pk}/", {"title": "Chef"}, format="json")
    rows = as_admin.get(
        f"/api/v1/audit-log/?action=update&entity_type=position&entity_id={position.pk}"
    ).json()["results"]
    assert [(r["action"], r["transition"], r["changes"]) for r in rows] == [
        ("update", "position.update", {"title": ["Nurse", "Chef"]})
    ]
    assert rows[0]["source"] == "change"
    assert rows[0]["subject"] == f"/api/v1/positions/{position.pk}/"
    bad = as_admin.get("/api/v1/audit-log/?action=explode")
    assert bad.status_code == 400


def test_a_positions_history_lists_its_versions_and_requirements(as_admin):
    position = make_position(make_unit(), weekly_hours=Decimal("40.00"))
    response = as_admin.post(
        f"/api/v1/positions/{position.pk}/weekly-hours/",
        {"valid_from": "2026-06-01", "hours": "32.00"},
        format="json",
    )
    assert response.status_code == 201, response.content
    rows = as_admin.get(f"/api/v1/positions/{position.pk}/history/").json()["results"]
    kinds = {(r["entity_type"], r["action"]) for r in rows}
    assert ("position", "create") in kinds
    assert ("weekly_hours", "create") in kinds
    version = next(
        r
        for r in rows
        if r["entity_type"] == "weekly_hours"
        and r["changes"].get("valid_from") == [None, "2026-06-01"]
    )
    assert version["subject"] == f"/api/v1/positions/{position.pk}/weekly-hours/"
    assert (version["subject_type"], version["subject_id"]) == ("position", position.pk)


@pytest.mark.parametrize(
    "prefix", ["org-units", "positions", "employees", "tags", "users", "business-rules"]
)
def test_every_tracked_resource_has_a_history(as_admin, prefix):
    make_employee(make_unit())
    make_position(make_unit())
    make_tag()
    first = as_admin.get(f"/api/v1/{prefix}/").json()["results"]
    pk = first[0]["id"] if "id" in first[0] else first[0]["code"]
    response = as_admin.get(f"/api/v1/{prefix}/{pk}/history/")
    assert response.status_code == 200, response.content
    assert "results" in response.json()


def test_the_csv_export_carries_action_and_changes(as_admin):
    unit = make_unit(name="Ward A")
    type(unit).objects.filter(pk=unit.pk).update(name="Ward C")
    response = as_admin.get(f"/api/v1/audit-log/export/?entity_type=org_unit&entity_id={unit.pk}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [r["action"] for r in rows] == ["update", "create"]
    assert json.loads(rows[0]["changes"]) == {"name": ["Ward A", "Ward C"]}


def test_history_query_count_is_constant(as_admin, django_assert_max_num_queries):
    unit = make_unit()
    for i in range(60):
        type(unit).objects.filter(pk=unit.pk).update(name=f"Name {i}")
    counts = []
    for size in (1, 50):
        # Four of them are the test settings' database cache (the throttle's counter).
        with django_assert_max_num_queries(10) as captured:
            response = as_admin.get(f"/api/v1/org-units/{unit.pk}/history/?page_size={size}")
            assert response.status_code == 200
            assert len(response.json()["results"]) == size
        counts.append(len(captured.captured_queries))
    assert counts[0] == counts[1]


def _make(kind: str):
    from apps.business_rules.models import BusinessRule
    from apps.demand.models import CoverageRequirement
    from tests.factories.assignments import make_assignment
    from tests.factories.tags import give_tag, need_tag
    from tests.factories.users import UserFactory

    unit = make_unit()
    return {
        "org-units": lambda: unit,
        "positions": lambda: make_position(unit),
        "employees": lambda: make_employee(unit),
        "coverage-requirements": lambda: CoverageRequirement.objects.create(
            position=make_position(unit),
            start_date="2026-03-02",
            end_date="2026-03-29",
            required_hours=Decimal("30.00"),
        ),
        "business-rules": lambda: BusinessRule.objects.create(
            code="api-capture",
            name="API capture",
            kind="max_weekly_hours",
            params={"max_hours": 48},
        ),
        "tags": lambda: make_tag(),
        "employee-tags": lambda: give_tag(make_employee(unit), make_tag()),
        "position-tags": lambda: need_tag(make_position(unit), make_tag()),
        "users": lambda: UserFactory(),
        "assignments": lambda: make_assignment(make_employee(unit), make_position(unit)),
    }[kind]()


PATCHES = {
    "org-units": {"name": "Via the API"},
    "positions": {"title": "Via the API"},
    "employees": {"last_name": "Via the API"},
    "coverage-requirements": {"required_hours": "12.50"},
    "business-rules": {"name": "Via the API"},
    "tags": {"label": "Via the API"},
    "employee-tags": {"level": 5},
    "position-tags": {"min_level": 4},
    "users": {"full_name": "Via the API"},
    "assignments": {"weekly_hours": "10.00"},
}


@pytest.mark.parametrize("prefix", sorted(PATCHES))
def test_an_api_patch_of_each_resource_is_one_attributed_chained_change(
    as_admin, admin_user, prefix
):
    obj = _make(prefix)
    entity_type = type(obj).audit_tracking.entity_type
    before = Change.objects.filter(entity_type=entity_type, entity_id=obj.pk).count()
    last = Change.objects.filter(entity_type=entity_type, entity_id=obj.pk).order_by("id").last()
    response = as_admin.patch(
        f"/api/v1/{prefix}/{obj.pk}/",
        PATCHES[prefix],
        format="json",
        HTTP_X_REQUEST_ID=f"req-{prefix}",
    )
    assert response.status_code == 200, response.content
    rows = list(Change.objects.filter(entity_type=entity_type, entity_id=obj.pk).order_by("id"))
    assert len(rows) == before + 1
    row = rows[-1]
    assert (row.action, row.actor_id, row.request_id) == ("update", admin_user.pk, f"req-{prefix}")
    field, value = next(iter(PATCHES[prefix].items()))
    assert row.changes[field][1] in (
        value,
        float(value) if isinstance(value, str) and value[0].isdigit() else value,
    )
    assert row.prev_hash == (last.hash if last else "0" * 64)
    # ... and it is in the resource's history.
    history = as_admin.get(f"/api/v1/{prefix}/{obj.pk}/history/?action=update").json()["results"]
    assert history[0]["uid"] == f"change:{row.pk}"
