"""The audit stream: every source, newest first, cursor pages, filters, verify, export."""

from __future__ import annotations

import datetime as dt
import threading
import tracemalloc
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.http import StreamingHttpResponse
from rest_framework.test import APIClient

from apps.audit_log.verification import verify_all
from apps.fsm.services import transition_apply, transition_cascade
from apps.offer.models import LedgerEntry
from apps.offer.services import ledger_entry_create
from tests.conftest import bearer
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    # Throttle counters in the database cache would add queries to every request.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def world(admin_user):
    unit = make_unit()
    employee = make_employee(unit)
    employee, _ = transition_apply(
        subject=employee, transition="start_onboarding", actor=admin_user, reason="hired"
    )
    position = make_position(unit)
    assignment = make_assignment(employee, position)
    assignment, _ = transition_cascade(
        subject=assignment, transition="reject", actor=admin_user, reason="not needed"
    )
    entry = ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 8),
        hours_per_week=Decimal("-40"),
        note="holiday",
        actor=admin_user,
    )
    return employee, assignment, entry


def test_every_source_newest_first_with_fields(as_admin, world, admin_user):
    employee, assignment, _entry = world
    response = as_admin.get("/api/v1/audit-log/?action=transition")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["source"] for r in rows] == [
        "ledger_entry",
        "assignment_transition",
        "employee_transition",
    ]
    ledger, reject, onboarding = rows
    assert ledger["entity_type"] == "employee"
    assert ledger["entity_id"] == employee.pk
    assert ledger["transition"] == "ledger.leave"
    assert ledger["reason"] == "holiday"
    assert reject["transition"] == "reject"
    assert (reject["from_state"], reject["to_state"]) == ("proposed", "rejected")
    assert reject["subject"] == f"/api/v1/assignments/{assignment.pk}/"
    assert onboarding["actor"] == admin_user.pk
    assert onboarding["actor_email"] == admin_user.email
    assert onboarding["reason"] == "hired"
    assert len(onboarding["hash"]) == 64
    assert rows[0]["at"] >= rows[1]["at"] >= rows[2]["at"]


def test_tag_changes_are_in_the_stream(as_admin, world, admin_user):
    from apps.tags import services as tags
    from apps.tags.models import TagCatalog

    employee, _, _ = world
    forklift = TagCatalog.objects.create(code="forklift", label="Forklift", category="cert")
    tags.employee_tag_add(
        employee=employee,
        tag=forklift,
        level=3,
        valid_from=dt.date(2026, 1, 1),
        actor=admin_user,
        reason="licence",
    )
    rows = as_admin.get(
        f"/api/v1/audit-log/?entity_type=employee&entity_id={employee.pk}&action=transition"
    ).json()["results"]
    assert rows[0]["source"] == "tag_change"
    assert rows[0]["transition"] == "tag.add"
    assert rows[0]["reason"] == "licence"
    assert rows[0]["metadata"]["tag"] == "forklift"
    assert '"level": 3' in rows[0]["to_state"]
    assert as_admin.get("/api/v1/audit-log/verify/").json()["ok"] is True


@pytest.mark.parametrize(
    ("role", "status"),
    [("as_admin", 200), ("as_auditor", 200), ("as_manager", 403), ("as_employee", 403)],
)
def test_only_admins_and_auditors_read_it(role, status, request, world):
    client = request.getfixturevalue(role)
    for url in ("/api/v1/audit-log/", "/api/v1/audit-log/verify/", "/api/v1/audit-log/export/"):
        assert client.get(url).status_code == status, url


def test_anonymous_is_401():
    assert APIClient().get("/api/v1/audit-log/").status_code == 401


def test_writes_are_not_allowed(as_admin):
    assert as_admin.post("/api/v1/audit-log/", {}, format="json").status_code == 405


def test_filters(as_admin, world, admin_user):
    employee, _assignment, _ = world

    def sources(query: str) -> list[str]:
        response = as_admin.get(f"/api/v1/audit-log/?action=transition&{query}")
        assert response.status_code == 200, response.content
        return [r["source"] for r in response.json()["results"]]

    assert sources(f"entity_type=employee&entity_id={employee.pk}") == [
        "ledger_entry",
        "employee_transition",
    ]
    assert sources("entity_type=assignment") == ["assignment_transition"]
    assert sources("transition=reject") == ["assignment_transition"]
    assert len(sources(f"actor={admin_user.pk}")) == 3
    assert sources("since=2999-01-01T00:00:00Z") == []
    assert len(sources("until=2999-01-01T00:00:00Z")) == 3
    assert as_admin.get("/api/v1/audit-log/?since=yesterday").status_code == 400
    assert as_admin.get("/api/v1/audit-log/?entity_type=planet").status_code == 400


def test_history_endpoints_share_the_row_format(as_admin, world):
    employee, _, _ = world
    history = as_admin.get(f"/api/v1/employees/{employee.pk}/history/").json()["results"]
    stream = as_admin.get(
        f"/api/v1/audit-log/?entity_type=employee&entity_id={employee.pk}"
    ).json()["results"]
    # The history adds what belongs to the employee (its contract-hours versions).
    assert [r for r in history if r["entity_type"] == "employee"] == stream
    assert {(r["entity_type"], r["subject_id"]) for r in history if r not in stream} == {
        ("contract_hours", employee.pk)
    }


@pytest.mark.django_db(transaction=True)
def test_cursor_pages_return_every_row_once_while_rows_are_added(admin_user):
    unit = make_unit()
    employees = [make_employee(unit) for _ in range(30)]
    for e in employees:
        transition_apply(subject=e, transition="start_onboarding", actor=admin_user)
    client = bearer(APIClient(), admin_user)
    seen: list[str] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            for e in employees:
                if stop.is_set():
                    break
                transition_apply(subject=e, transition="activate", actor=admin_user)
        finally:
            connection.close()

    url = "/api/v1/audit-log/?page_size=7"
    first = client.get(url).json()
    seen += [r["uid"] for r in first["results"]]
    thread = threading.Thread(target=writer)
    thread.start()
    next_url = first["next"]
    while next_url:
        page = client.get(next_url).json()
        seen += [r["uid"] for r in page["results"]]
        next_url = page["next"]
    stop.set()
    thread.join()
    assert len(seen) == len(set(seen))
    onboarding = {u for u in seen if u.startswith("employee_transition")}
    assert len(onboarding) >= 30


def test_query_count_per_page_is_constant(
    as_admin, world, admin_user, django_assert_max_num_queries
):
    unit = make_unit()
    for _ in range(40):
        transition_apply(
            subject=make_employee(unit), transition="start_onboarding", actor=admin_user
        )
    for size in (1, 100):
        with django_assert_max_num_queries(3):
            assert as_admin.get(f"/api/v1/audit-log/?page_size={size}").status_code == 200


def test_verify_ok_then_tampered_row_found(as_admin, world):
    _, _, entry = world
    ok = as_admin.get("/api/v1/audit-log/verify/").json()
    assert ok["ok"] is True
    assert ok["checked"] == sum(ok["tables"].values())
    assert ok["tables"]["offer_ledgerentry"] == 1
    assert ok["tables"]["core_change"] > 0
    assert ok["first_broken"] is None
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(f"UPDATE {table} SET hours_per_week = 40 WHERE id = %s", [entry.pk])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    broken = as_admin.get("/api/v1/audit-log/verify/").json()
    assert broken["ok"] is False
    assert broken["first_broken"]["table"] == table
    assert broken["first_broken"]["id"] == entry.pk
    with pytest.raises(CommandError, match="broken"):
        call_command("verify_audit_log", stdout=StringIO(), stderr=StringIO())


def test_verify_command_reports_progress_and_ok(world):
    out, err = StringIO(), StringIO()
    call_command("verify_audit_log", stdout=out, stderr=err)
    assert f"ok: {verify_all()['checked']} rows verified" in out.getvalue()
    assert "rows checked" in err.getvalue()


def test_export_is_a_streamed_csv(as_admin, world):
    response = as_admin.get("/api/v1/audit-log/export/?entity_type=employee&action=transition")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"].startswith('attachment; filename="audit-log_')
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == (
        "at,entity_type,entity_id,action,changes,transition,from_state,to_state,actor,"
        "actor_email,reason,request_id,source,source_id,hash"
    )
    assert len(lines) == 3


def test_export_memory_stays_flat_over_100k_rows(as_admin, world):
    employee, _, _ = world
    # 100,000 ledger rows written in one statement (their hashes are not a valid chain,
    # which the export does not care about).
    with connection.cursor() as cursor:
        cursor.execute(
            """INSERT INTO offer_ledgerentry (employee_id, kind, start_date, end_date,
                   hours_per_week, note, actor_id, at, reason, request_id, metadata,
                   prev_hash, hash)
               SELECT %s, 'adjustment', DATE '2026-01-05', DATE '2026-01-11', 1, 'bulk',
                      NULL, now() - (g || ' seconds')::interval, '', 'bulk', '{}'::jsonb,
                      repeat('0', 64), md5(g::text) || md5((g + 1)::text)
               FROM generate_series(1, 100000) g""",
            [employee.pk],
        )

    def peak_while_streaming(query: str) -> tuple[int, int]:
        response = as_admin.get(f"/api/v1/audit-log/export/?{query}")
        tracemalloc.start()
        lines = 0
        for chunk in response.streaming_content:
            lines += chunk.count(b"\n")
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return lines, peak

    small_lines, _ = peak_while_streaming("transition=reject")
    big_lines, big_peak = peak_while_streaming("source=ledger_entry")
    assert big_lines == 100_002  # header + 100,000 bulk rows + the fixture's entry
    assert small_lines == 2
    # Streaming keeps a chunk in memory, not the file: far below 100k rows' worth (~15 MB).
    assert big_peak < 8 * 2**20, big_peak


def test_admin_audit_page_is_read_only_with_filters(world, admin_user):
    from django.test import Client

    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    page = client.get("/admin/audit_log/auditentry/?entity_type__exact=employee")
    assert page.status_code == 200
    assert b"ledger.leave" in page.content
    assert b"start_onboarding" in page.content
    assert client.get("/admin/audit_log/auditentry/add/").status_code == 403
