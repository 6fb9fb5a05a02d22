"""tags/, employee-tags/, position-tags/, tag-changes/: shapes, every change logged (actor,
before, after, reason, request id), inactive tags refused, roles, filters, read-only log,
chain and append-only table, list query counts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.capture import GENESIS
from apps.fsm.verify import verify_log
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog, TagChangeLog
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag, need_tag

pytestmark = pytest.mark.django_db


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if code is not None:
        assert body["code"] == code, body
    return body


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def unit():
    return make_unit("HQ")


@pytest.fixture
def employee(unit):
    return make_employee(unit, first_name="Ada", last_name="Lovelace")


@pytest.fixture
def position(unit):
    return make_position(unit, code="P-1", title="Driver")


@pytest.fixture
def forklift():
    return make_tag("forklift", label="Forklift licence", category="licence")


# --- catalogue -------------------------------------------------------------------------------


def test_admin_creates_a_tag_everyone_reads_the_catalogue(as_admin, as_employee, as_auditor):
    response = as_admin.post(
        "/api/v1/tags/",
        {"code": "first-aid", "label": "First aid", "category": "certification"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body == {
        "id": body["id"],
        "code": "first-aid",
        "label": "First aid",
        "category": "certification",
        "description": "",
        "active": True,
    }
    assert response["ETag"]
    for client in (as_employee, as_auditor):
        assert [t["code"] for t in results(client.get("/api/v1/tags/"))] == ["first-aid"]


def test_tag_codes_are_unique_and_updates_honour_if_match(as_admin, forklift):
    problem(
        as_admin.post(
            "/api/v1/tags/", {"code": "forklift", "label": "x", "category": "y"}, format="json"
        ),
        400,
    )
    url = f"/api/v1/tags/{forklift.pk}/"
    etag = as_admin.get(url)["ETag"]
    assert (
        as_admin.patch(url, {"active": False}, format="json", HTTP_IF_MATCH=etag).json()["active"]
        is False
    )
    problem(as_admin.patch(url, {"label": "Stale"}, format="json", HTTP_IF_MATCH=etag), 412)
    assert TagCatalog.objects.get(pk=forklift.pk).label == "Forklift licence"
    assert as_admin.delete(url).status_code == 405  # deactivate, never delete


def test_catalogue_filters_and_search(as_admin):
    make_tag("sql", label="SQL", category="skill")
    make_tag("forklift", label="Forklift", category="licence", active=False)
    codes = lambda r: [t["code"] for t in results(r)]  # noqa: E731
    assert codes(as_admin.get("/api/v1/tags/?category=licence")) == ["forklift"]
    assert codes(as_admin.get("/api/v1/tags/?active=true")) == ["sql"]
    assert codes(as_admin.get("/api/v1/tags/?search=fork")) == ["forklift"]


# --- employee tags: every change logged --------------------------------------------------------


def test_api_add_change_remove_are_logged_with_actor_before_after(
    as_admin, admin_user, employee, forklift
):
    response = as_admin.post(
        "/api/v1/employee-tags/",
        {
            "employee": employee.pk,
            "tag": forklift.pk,
            "level": 2,
            "valid_from": "2026-01-01",
            "valid_until": "2027-12-31",
            "reason": "passed the course",
        },
        format="json",
        HTTP_X_REQUEST_ID="req-add-1",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    row_id = body["id"]
    assert body == {
        "id": row_id,
        "employee": employee.pk,
        "tag": forklift.pk,
        "tag_summary": {
            "id": forklift.pk,
            "code": "forklift",
            "label": "Forklift licence",
            "category": "licence",
            "active": True,
        },
        "level": 2,
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
    }
    added = TagChangeLog.objects.get()
    snapshot = {
        "id": row_id,
        "tag": forklift.pk,
        "code": "forklift",
        "level": 2,
        "valid_from": "2026-01-01",
        "valid_until": "2027-12-31",
    }
    assert (added.subject_type, added.subject_id, added.action) == ("employee", employee.pk, "add")
    assert added.actor == admin_user
    assert added.before is None
    assert added.after == snapshot
    assert added.reason == "passed the course"
    assert added.request_id == "req-add-1"

    url = f"/api/v1/employee-tags/{row_id}/"
    response = as_admin.patch(
        url, {"level": 4, "reason": "assessed"}, format="json", HTTP_IF_MATCH=response["ETag"]
    )
    assert response.status_code == 200, response.content
    assert response.json()["level"] == 4
    changed = TagChangeLog.objects.get(action="change")
    assert changed.before == snapshot
    assert changed.after == {**snapshot, "level": 4}
    assert changed.reason == "assessed"
    assert changed.prev_hash == added.hash

    assert as_admin.delete(f"{url}?reason=left+the+team").status_code == 204
    assert not EmployeeTag.objects.exists()
    removed = TagChangeLog.objects.get(action="remove")
    assert removed.before == {**snapshot, "level": 4}
    assert removed.after is None
    assert removed.reason == "left the team"
    assert removed.actor == admin_user
    assert verify_log(TagChangeLog) == {"ok": True, "checked": 3, "first_broken": None}


def test_unchanged_patch_writes_no_log_row(as_admin, employee, forklift):
    row = give_tag(employee, forklift, level=3)
    response = as_admin.patch(f"/api/v1/employee-tags/{row.pk}/", {"level": 3}, format="json")
    assert response.status_code == 200
    assert list(TagChangeLog.objects.values_list("action", flat=True)) == ["add"]


def test_inactive_tag_cannot_be_attached_but_existing_attachments_can_change(
    as_admin, employee, position, forklift
):
    held = give_tag(employee, forklift, level=1)
    forklift.active = False
    forklift.save()
    logs = TagChangeLog.objects.count()
    body = problem(
        as_admin.post(
            "/api/v1/employee-tags/",
            {
                "employee": employee.pk,
                "tag": forklift.pk,
                "level": 2,
                "valid_from": "2026-06-01",
            },
            format="json",
        ),
        409,
        "inactive_tag",
    )
    assert "forklift" in body["detail"]
    problem(
        as_admin.post(
            "/api/v1/position-tags/", {"position": position.pk, "tag": forklift.pk}, format="json"
        ),
        409,
        "inactive_tag",
    )
    assert EmployeeTag.objects.count() == 1
    assert not PositionTag.objects.exists()
    assert TagChangeLog.objects.count() == logs
    response = as_admin.patch(f"/api/v1/employee-tags/{held.pk}/", {"level": 2}, format="json")
    assert response.status_code == 200, response.content


def test_employee_and_tag_of_an_attachment_are_immutable(as_admin, employee, unit, forklift):
    row = give_tag(employee, forklift)
    other = make_tag("sql")
    url = f"/api/v1/employee-tags/{row.pk}/"
    problem(as_admin.patch(url, {"tag": other.pk}, format="json"), 400)
    # Sending back what was read is fine (a PUT of the whole row).
    response = as_admin.put(
        url,
        {
            "employee": employee.pk,
            "tag": forklift.pk,
            "level": 5,
            "valid_from": "2020-01-01",
            "valid_until": None,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert EmployeeTag.objects.get(pk=row.pk).tag_id == forklift.pk


def test_bad_input_is_a_400(as_admin, employee, forklift):
    url = "/api/v1/employee-tags/"
    base = {"employee": employee.pk, "tag": forklift.pk, "level": 3, "valid_from": "2026-01-01"}
    for bad in (
        {"level": 0},
        {"level": 6},
        {"valid_until": "2025-12-31"},
        {"colour": "red"},
        {"level": "high"},
        {"valid_from": "yesterday"},
    ):
        problem(as_admin.post(url, {**base, **bad}, format="json"), 400)
    assert not EmployeeTag.objects.exists()
    assert not TagChangeLog.objects.exists()


def test_same_tag_from_the_same_day_twice_is_a_conflict(as_admin, employee, forklift):
    give_tag(employee, forklift, valid_from=dt.date(2026, 1, 1))
    problem(
        as_admin.post(
            "/api/v1/employee-tags/",
            {
                "employee": employee.pk,
                "tag": forklift.pk,
                "level": 2,
                "valid_from": "2026-01-01",
            },
            format="json",
        ),
        409,
        "duplicate_tag",
    )


# --- position tags ----------------------------------------------------------------------------


def test_position_tags_are_logged_per_position(as_admin, admin_user, position, forklift):
    response = as_admin.post(
        "/api/v1/position-tags/",
        {
            "position": position.pk,
            "tag": forklift.pk,
            "requirement": "required",
            "min_level": 2,
            "reason": "insurance demands it",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ("position", "tag", "requirement", "min_level")} == {
        "position": position.pk,
        "tag": forklift.pk,
        "requirement": "required",
        "min_level": 2,
    }
    problem(
        as_admin.post(
            "/api/v1/position-tags/", {"position": position.pk, "tag": forklift.pk}, format="json"
        ),
        409,
        "duplicate_tag",
    )
    url = f"/api/v1/position-tags/{body['id']}/"
    assert as_admin.patch(url, {"requirement": "preferred"}, format="json").status_code == 200
    assert as_admin.delete(url).status_code == 204
    rows = list(TagChangeLog.objects.order_by("id"))
    assert [(r.subject_type, r.subject_id, r.action) for r in rows] == [
        ("position", position.pk, "add"),
        ("position", position.pk, "change"),
        ("position", position.pk, "remove"),
    ]
    assert rows[0].reason == "insurance demands it"
    assert rows[1].before["requirement"] == "required"
    assert rows[1].after["requirement"] == "preferred"
    assert all(r.actor == admin_user for r in rows)


# --- roles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["as_manager", "as_auditor", "as_employee"])
def test_only_admins_change_tags(request, role, employee, position, forklift, manager_user, unit):
    manager_user.scope.add(unit)
    client = request.getfixturevalue(role)
    held = give_tag(employee, forklift)
    needed = need_tag(position, forklift)
    attempts = [
        client.post("/api/v1/tags/", {"code": "x", "label": "x", "category": "x"}, format="json"),
        client.patch(f"/api/v1/tags/{forklift.pk}/", {"label": "x"}, format="json"),
        client.post(
            "/api/v1/employee-tags/",
            {"employee": employee.pk, "tag": forklift.pk, "level": 1, "valid_from": "2026-02-01"},
            format="json",
        ),
        client.post(
            "/api/v1/position-tags/", {"position": position.pk, "tag": forklift.pk}, format="json"
        ),
    ]
    for response in attempts:
        problem(response, 403)
    # On single objects the scoped lookup comes first: 403 where visible, 404 where not.
    for url in (f"/api/v1/employee-tags/{held.pk}/", f"/api/v1/position-tags/{needed.pk}/"):
        assert client.patch(url, {"level": 1}, format="json").status_code in (403, 404)
        assert client.delete(url).status_code in (403, 404)
    assert TagCatalog.objects.count() == 1
    assert EmployeeTag.objects.get().level == 3
    assert PositionTag.objects.get().min_level == 1
    assert TagChangeLog.objects.count() == 2


def test_employee_sees_only_their_own_tags_and_changes(
    as_employee, employee_user, employee, unit, position, forklift
):
    employee.user = employee_user
    employee.save()
    mine = give_tag(employee, forklift)
    colleague = make_employee(unit)
    theirs = give_tag(colleague, forklift)
    need_tag(position, forklift)
    assert [r["id"] for r in results(as_employee.get("/api/v1/employee-tags/"))] == [mine.pk]
    assert as_employee.get(f"/api/v1/employee-tags/{theirs.pk}/").status_code == 404
    assert results(as_employee.get("/api/v1/position-tags/")) == []
    changes = results(as_employee.get("/api/v1/tag-changes/"))
    assert [(c["subject_type"], c["subject_id"]) for c in changes] == [("employee", employee.pk)]


def test_manager_sees_tags_in_scope_only(as_manager, manager_user, employee, position, forklift):
    inside = make_unit(parent=employee.org_unit)
    manager_user.scope.add(inside)
    local = make_employee(inside)
    give_tag(local, forklift)
    give_tag(employee, forklift)  # in the parent unit: outside the manager's scope
    local_position = make_position(inside)
    need_tag(local_position, forklift)
    need_tag(position, forklift)
    rows = results(as_manager.get("/api/v1/employee-tags/"))
    assert [r["employee"] for r in rows] == [local.pk]
    assert [r["position"] for r in results(as_manager.get("/api/v1/position-tags/"))] == [
        local_position.pk
    ]
    subjects = {
        (c["subject_type"], c["subject_id"])
        for c in results(as_manager.get("/api/v1/tag-changes/"))
    }
    assert subjects == {("employee", local.pk), ("position", local_position.pk)}


def test_employee_tag_filters(as_admin, employee, unit, forklift):
    sql = make_tag("sql", category="skill")
    give_tag(employee, forklift, level=2, valid_until=dt.date(2026, 3, 31))
    give_tag(employee, sql, level=4)
    ids = lambda q: [r["tag"] for r in results(as_admin.get(f"/api/v1/employee-tags/?{q}"))]  # noqa: E731
    assert ids("min_level=3") == [sql.pk]
    assert ids("category=licence") == [forklift.pk]
    assert ids("valid_on=2026-04-01") == [sql.pk]
    assert ids("expires_before=2026-04-01") == [forklift.pk]
    assert ids(f"employee={employee.pk}&tag={sql.pk}") == [sql.pk]
    problem(as_admin.get("/api/v1/employee-tags/?valid_on=soon"), 400)


# --- tag-changes/ -----------------------------------------------------------------------------


@pytest.fixture
def history(employee, position, forklift, admin_user):
    """Four changes on four days: employee add + change (admin), position add (no actor) +
    remove (admin). The database dates log rows; each is moved to its day afterwards, behind
    the triggers' back (which breaks the chain: these tests do not verify it)."""
    from django.db import connection

    from apps.tags import services

    def on(day: int) -> None:
        moment = dt.datetime(2026, 3, day, 12, tzinfo=dt.UTC)
        newest = TagChangeLog.objects.order_by("-id").values_list("id", flat=True)[0]
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("UPDATE tags_tagchangelog SET at = %s WHERE id = %s", [moment, newest])
            cursor.execute("SET LOCAL session_replication_role = origin")

    row = give_tag(employee, forklift, level=1, actor=admin_user)
    on(1)
    services.employee_tag_change(employee_tag=row, level=2, actor=admin_user)
    on(2)
    needed = need_tag(position, forklift, actor=None)
    on(3)
    services.position_tag_remove(position_tag=needed, actor=admin_user)
    on(4)
    return list(TagChangeLog.objects.order_by("id"))


def test_tag_changes_filters(as_auditor, history, employee, position, forklift, admin_user):
    def actions(query: str) -> list[str]:
        return [r["action"] for r in results(as_auditor.get(f"/api/v1/tag-changes/?{query}"))]

    assert actions("") == ["remove", "add", "change", "add"]  # newest first
    assert actions("subject_type=employee") == ["change", "add"]
    assert actions(f"subject_type=position&subject_id={position.pk}") == ["remove", "add"]
    assert actions(f"tag={forklift.pk}&action=add") == ["add", "add"]
    assert actions(f"actor={admin_user.pk}") == ["remove", "change", "add"]
    assert actions("since=2026-03-02&until=2026-03-03") == ["add", "change"]
    assert actions("since=2026-03-02T12:00:00Z&until=2026-03-02T12:00:00Z") == ["change"]
    problem(as_auditor.get("/api/v1/tag-changes/?since=last-week"), 400)
    problem(as_auditor.get("/api/v1/tag-changes/?action=rename"), 400)
    row = results(as_auditor.get("/api/v1/tag-changes/?action=change"))[0]
    assert set(row) >= {
        "subject_type",
        "subject_id",
        "action",
        "tag",
        "tag_code",
        "before",
        "after",
        "actor",
        "at",
        "reason",
        "request_id",
        "prev_hash",
        "hash",
    }
    assert (row["before"]["level"], row["after"]["level"]) == (1, 2)


@pytest.mark.parametrize("role", ["as_admin", "as_auditor", "as_employee"])
def test_tag_changes_are_read_only(request, role, history):
    client = request.getfixturevalue(role)
    log = history[0]
    assert client.post("/api/v1/tag-changes/", {"action": "add"}, format="json").status_code == 405
    url = f"/api/v1/tag-changes/{log.pk}/"
    assert client.put(url, {"reason": "x"}, format="json").status_code == 405
    assert client.patch(url, {"reason": "x"}, format="json").status_code == 405
    assert client.delete(url).status_code == 405
    assert TagChangeLog.objects.get(pk=log.pk).reason == ""


def test_unauthenticated_reads_are_401(api_client):
    for url in ("/api/v1/tags/", "/api/v1/employee-tags/", "/api/v1/tag-changes/"):
        assert api_client.get(url).status_code == 401


# --- the chain and the table -------------------------------------------------------------------


def test_chains_are_per_subject_type_and_id(employee, position, forklift):
    give_tag(employee, forklift)
    # A position log row with the same number as the employee starts its own chain.
    from apps.tags.models import SubjectType, TagAction

    other = TagChangeLog.append(
        subject_type=SubjectType.POSITION,
        subject_id=employee.pk,
        action=TagAction.ADD,
        tag=forklift,
        before=None,
        after={},
    )
    assert other.prev_hash == GENESIS
    second = give_tag(employee, forklift, valid_from=dt.date(2026, 1, 1))
    log = TagChangeLog.objects.get(after__id=second.pk)
    assert (
        log.prev_hash
        == TagChangeLog.objects.get(subject_type="employee", after__valid_from="2020-01-01").hash
    )
    assert verify_log(TagChangeLog) == {"ok": True, "checked": 3, "first_broken": None}


def test_log_is_append_only_at_the_database(employee, forklift):
    give_tag(employee, forklift)
    log = TagChangeLog.objects.get()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TagChangeLog.objects.filter(pk=log.pk).update(reason="edited")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        TagChangeLog.objects.filter(pk=log.pk).delete()
    assert TagChangeLog.objects.get(pk=log.pk).reason == ""


def test_tampering_is_detected(employee, forklift):
    row = give_tag(employee, forklift, level=1)
    from apps.tags import services

    services.employee_tag_change(employee_tag=row, level=2, actor=None)
    victim = TagChangeLog.objects.order_by("id").first()
    table = TagChangeLog._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(
            f"UPDATE {table} SET after = after || '{{\"level\": 5}}' WHERE id = %s", [victim.pk]
        )
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    result = verify_log(TagChangeLog)
    assert result["ok"] is False
    assert result["first_broken"]["id"] == victim.pk
    assert result["first_broken"]["subject"] == ["employee", employee.pk]


# --- list query counts --------------------------------------------------------------------------


@pytest.fixture
def local_cache(settings) -> None:
    """Throttle counters in process memory: the counts below are the endpoints' own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.parametrize(
    "url",
    ["/api/v1/employee-tags/", "/api/v1/position-tags/", "/api/v1/tag-changes/", "/api/v1/tags/"],
)
def test_list_query_count_does_not_depend_on_page_size(
    as_manager, manager_user, unit, url, local_cache, django_assert_max_num_queries
):
    manager_user.scope.add(unit)
    for i in range(12):
        tag = make_tag(f"t{i:02d}")
        give_tag(make_employee(unit), tag)
        need_tag(make_position(unit), tag)
    counts = []
    for size in (3, 12):
        with CaptureQueriesContext(connection) as ctx:
            response = as_manager.get(f"{url}?page_size={size}")
        assert len(response.json()["results"]) == size
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(5):
        as_manager.get(url)
