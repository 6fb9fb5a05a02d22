"""hours-ledger/: append-only entries, corrections by reversal only, role scoping, the database
refusing edits, the per-employee hash chain, and concurrent reversals."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from rest_framework.test import APIClient

from apps.core.capture import GENESIS
from apps.fsm.verify import verify_log
from apps.offer.models import LedgerEntry
from apps.offer.services import ledger_entry_create, ledger_entry_reverse
from tests.concurrency import race
from tests.conftest import bearer
from tests.factories.org import make_employee, make_unit

LEDGER = "/api/v1/hours-ledger/"
SUPPLY = "/api/v1/supply/"
W10 = dt.date(2026, 3, 2)  # Monday of 2026-W10
ENTRY_FIELDS = {
    "id",
    "employee",
    "kind",
    "start_date",
    "end_date",
    "hours_per_week",
    "note",
    "actor",
    "created_at",
    "reverses",
}
D = Decimal
THREADS = 8


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status` (and `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def raw_sql(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


def ledger_rows() -> list[dict[str, Any]]:
    return list(LedgerEntry.objects.order_by("id").values())


@pytest.fixture
def org(manager_user) -> dict[str, Any]:
    """WARD (the manager's scope) with Ann, OTHER with Cid; both 40 h since 2025."""
    ward, other = make_unit("WARD"), make_unit("OTHER")
    manager_user.scope.add(ward)
    return {
        "ward": ward,
        "ann": make_employee(ward, contract_hours=D("40"), hire_date=dt.date(2025, 1, 6)),
        "cid": make_employee(other, contract_hours=D("40"), hire_date=dt.date(2025, 1, 6)),
    }


def payload(employee: Any, /, **overrides: Any) -> dict[str, Any]:
    """Leave from Friday of W10 to Tuesday of W11 at 40 h/week."""
    data = {
        "employee": employee.pk,
        "kind": "leave",
        "start_date": "2026-03-06",
        "end_date": "2026-03-10",
        "hours_per_week": "-40.00",
        "note": "Holiday",
    }
    data.update(overrides)
    return data


@pytest.fixture
def entry(org, admin_user) -> LedgerEntry:
    return ledger_entry_create(
        employee=org["ann"],
        kind="leave",
        start_date=W10 + dt.timedelta(days=4),
        end_date=W10 + dt.timedelta(days=8),
        hours_per_week=D("-40"),
        actor=admin_user,
    )


# --- create -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "manager"])
def test_create_appends_an_entry(role, request, org):
    client = request.getfixturevalue(f"as_{role}")
    actor = request.getfixturevalue(f"{role}_user")
    response = client.post(LEDGER, payload(org["ann"]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= ENTRY_FIELDS
    assert {k: body[k] for k in ENTRY_FIELDS - {"id", "created_at"}} == {
        "employee": org["ann"].pk,
        "kind": "leave",
        "start_date": "2026-03-06",
        "end_date": "2026-03-10",
        "hours_per_week": "-40.00",
        "note": "Holiday",
        "actor": actor.pk,
        "reverses": None,
    }
    assert body["prev_hash"] == GENESIS
    assert len(body["hash"]) == 64
    [row] = ledger_rows()
    assert (row["id"], row["employee_id"], row["hours_per_week"], row["actor_id"]) == (
        body["id"],
        org["ann"].pk,
        D("-40.00"),
        actor.pk,
    )


@pytest.mark.django_db
def test_entries_of_one_employee_are_chained(as_admin, org):
    first = as_admin.post(LEDGER, payload(org["ann"])).json()
    other = as_admin.post(LEDGER, payload(org["cid"])).json()
    second = as_admin.post(
        LEDGER, payload(org["ann"], kind="extra_availability", hours_per_week="4.5")
    ).json()
    assert second["prev_hash"] == first["hash"]
    assert other["prev_hash"] == GENESIS  # a chain per employee
    assert second["hours_per_week"] == "4.50"


@pytest.mark.django_db
def test_manager_out_of_scope_is_400_on_employee(as_manager, org):
    body = problem(as_manager.post(LEDGER, payload(org["cid"])), 400)
    assert "employee" in body["errors"]
    assert ledger_rows() == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["auditor", "employee"])
def test_auditor_and_employee_may_not_create(role, request, org, employee_user):
    org["ann"].user = employee_user
    org["ann"].save(update_fields=["user"])
    client = request.getfixturevalue(f"as_{role}")
    problem(client.post(LEDGER, payload(org["ann"])), 403)
    assert ledger_rows() == []


@pytest.mark.django_db
def test_anonymous_is_401(api_client, org, entry):
    problem(api_client.post(LEDGER, payload(org["ann"])), 401)
    problem(api_client.get(LEDGER), 401)
    problem(api_client.post(f"{LEDGER}{entry.pk}/reverse/", {}), 401)
    assert len(ledger_rows()) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"kind": "correction"}, "kind"),
        ({"kind": "bonus"}, "kind"),
        ({"hours_per_week": "0"}, "hours_per_week"),
        ({"hours_per_week": "0.00"}, "hours_per_week"),
        ({"hours_per_week": "168.01"}, "hours_per_week"),
        ({"hours_per_week": "-168.01"}, "hours_per_week"),
        ({"hours_per_week": "1000000"}, "hours_per_week"),
        ({"hours_per_week": "NaN"}, "hours_per_week"),
        ({"hours_per_week": "Infinity"}, "hours_per_week"),
        ({"hours_per_week": "-inf"}, "hours_per_week"),
        ({"hours_per_week": "1.234"}, "hours_per_week"),
        ({"hours_per_week": "eight"}, "hours_per_week"),
        ({"hours_per_week": None}, "hours_per_week"),
        ({"end_date": "2026-03-05"}, "end_date"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"employee": 999999}, "employee"),
        ({"employee": "ann"}, "employee"),
        ({"employee": 10**30}, "employee"),
        ({"reverses": 1}, "reverses"),
        ({"actor": 1}, "actor"),
        ({"hash": "0" * 64}, "hash"),
    ],
)
def test_invalid_entries_are_400_and_nothing_is_written(as_admin, org, overrides, field):
    body = problem(as_admin.post(LEDGER, payload(org["ann"], **overrides)), 400)
    assert field in body["errors"], body
    assert ledger_rows() == []


@pytest.mark.django_db
@pytest.mark.parametrize("raw", ["[]", "[1, 2]", '"leave"', "42", "null"])
def test_bodies_that_are_not_objects_are_400(as_admin, org, entry, raw):
    for url in (LEDGER, f"{LEDGER}{entry.pk}/reverse/"):
        problem(as_admin.generic("POST", url, raw, content_type="application/json"), 400)
    assert len(ledger_rows()) == 1


@pytest.mark.django_db
def test_malformed_json_is_400(as_admin, org):
    response = as_admin.generic("POST", LEDGER, b'{"employee": ', content_type="application/json")
    problem(response, 400)
    assert ledger_rows() == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "missing", ["employee", "kind", "start_date", "end_date", "hours_per_week"]
)
def test_missing_fields_are_400(as_admin, org, missing):
    data = payload(org["ann"])
    del data[missing]
    body = problem(as_admin.post(LEDGER, data), 400)
    assert missing in body["errors"]
    assert ledger_rows() == []


@pytest.mark.django_db
def test_limits_are_allowed(as_admin, org):
    for hours in ("168.00", "-168.00", "0.01"):
        response = as_admin.post(
            LEDGER, payload(org["ann"], hours_per_week=hours, end_date="2026-03-06")
        )
        assert response.status_code == 201, response.content
    assert [r["hours_per_week"] for r in ledger_rows()] == [D("168"), D("-168"), D("0.01")]


# --- never edited -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_entries_cannot_be_edited_or_deleted_through_the_api(as_admin, org, entry, method):
    before = ledger_rows()
    response = getattr(as_admin, method)(f"{LEDGER}{entry.pk}/", payload(org["ann"], note="x"))
    problem(response, 405)
    problem(getattr(as_admin, method)(LEDGER, payload(org["ann"])), 405)
    assert ledger_rows() == before


@pytest.mark.django_db
def test_the_database_refuses_update_and_delete(entry):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).update(hours_per_week=D("-8"))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    entry.note = "rewritten"
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw_sql("DELETE FROM offer_ledgerentry")
    row = LedgerEntry.objects.get(pk=entry.pk)
    assert (row.hours_per_week, row.note) == (D("-40.00"), "")


# --- reverse ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "manager"])
def test_reverse_appends_the_correction(role, request, org, entry):
    client = request.getfixturevalue(f"as_{role}")
    actor = request.getfixturevalue(f"{role}_user")
    response = client.post(f"{LEDGER}{entry.pk}/reverse/", {"note": "Booked twice"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert {k: body[k] for k in ENTRY_FIELDS - {"id", "created_at"}} == {
        "employee": org["ann"].pk,
        "kind": "correction",
        "start_date": "2026-03-06",
        "end_date": "2026-03-10",
        "hours_per_week": "40.00",
        "note": "Booked twice",
        "actor": actor.pk,
        "reverses": entry.pk,
    }
    assert body["prev_hash"] == entry.hash
    original, correction = ledger_rows()
    assert original == LedgerEntry.objects.filter(pk=entry.pk).values().get()  # untouched
    assert (correction["id"], correction["reverses_id"]) == (body["id"], entry.pk)


@pytest.mark.django_db
def test_reverse_without_a_note_says_what_it_reverses(as_admin, entry):
    body = as_admin.post(f"{LEDGER}{entry.pk}/reverse/").json()
    assert body["note"] == f"Reverses entry {entry.pk}"


@pytest.mark.django_db
def test_second_reverse_is_409_and_writes_nothing(as_admin, entry):
    assert as_admin.post(f"{LEDGER}{entry.pk}/reverse/", {}).status_code == 201
    before = ledger_rows()
    problem(as_admin.post(f"{LEDGER}{entry.pk}/reverse/", {}), 409, "already_reversed")
    assert ledger_rows() == before


@pytest.mark.django_db
def test_a_correction_cannot_be_reversed(as_admin, entry):
    correction = as_admin.post(f"{LEDGER}{entry.pk}/reverse/", {}).json()
    before = ledger_rows()
    problem(as_admin.post(f"{LEDGER}{correction['id']}/reverse/", {}), 409, "not_reversible")
    assert ledger_rows() == before


@pytest.mark.django_db
def test_reverse_refusals(as_manager, as_auditor, as_employee, as_admin, employee_user, org):
    ann_entry = ledger_entry_create(
        employee=org["ann"],
        kind="adjustment",
        start_date=W10,
        end_date=W10,
        hours_per_week=D("2"),
        actor=None,
    )
    cid_entry = ledger_entry_create(
        employee=org["cid"],
        kind="adjustment",
        start_date=W10,
        end_date=W10,
        hours_per_week=D("2"),
        actor=None,
    )
    org["ann"].user = employee_user
    org["ann"].save(update_fields=["user"])
    before = ledger_rows()
    problem(as_manager.post(f"{LEDGER}{cid_entry.pk}/reverse/", {}), 404)  # out of scope
    problem(as_auditor.post(f"{LEDGER}{ann_entry.pk}/reverse/", {}), 403)
    problem(as_employee.post(f"{LEDGER}{ann_entry.pk}/reverse/", {}), 403)  # their own
    problem(as_employee.post(f"{LEDGER}{cid_entry.pk}/reverse/", {}), 404)
    problem(as_admin.post(f"{LEDGER}999999/reverse/", {}), 404)
    body = problem(as_admin.post(f"{LEDGER}{ann_entry.pk}/reverse/", {"hours": "1"}), 400)
    assert "hours" in body["errors"]
    assert ledger_rows() == before


@pytest.mark.django_db
def test_reversal_restores_supply(as_admin, org, entry):
    params = {"employee": org["ann"].pk, "from": "2026-03-02", "to": "2026-03-15"}

    def supply() -> list[tuple[str, str, str]]:
        response = as_admin.get(SUPPLY, params)
        assert response.status_code == 200, response.content
        return [(r["week"], r["ledger"], r["supply"]) for r in response.json()["results"]]

    # Leave Friday W10 to Tuesday W11 at 40 h/week: 3 days, then 2 days.
    assert supply() == [("2026-W10", "-17.14", "22.86"), ("2026-W11", "-11.43", "28.57")]
    assert as_admin.post(f"{LEDGER}{entry.pk}/reverse/", {}).status_code == 201
    assert supply() == [("2026-W10", "0.00", "40.00"), ("2026-W11", "0.00", "40.00")]


# --- reads --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_list_is_scoped_and_newest_first(
    as_admin, as_manager, as_auditor, as_employee, employee_user, org
):
    entries = [
        ledger_entry_create(
            employee=org[who],
            kind="adjustment",
            start_date=W10,
            end_date=W10,
            hours_per_week=D(n),
            actor=None,
        )
        for who, n in (("ann", "1"), ("cid", "2"), ("ann", "3"))
    ]
    org["ann"].user = employee_user
    org["ann"].save(update_fields=["user"])

    def ids(client: APIClient) -> list[int]:
        response = client.get(LEDGER)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    everything = [e.pk for e in reversed(entries)]
    assert ids(as_admin) == ids(as_auditor) == everything
    assert ids(as_manager) == ids(as_employee) == [entries[2].pk, entries[0].pk]
    assert as_manager.get(f"{LEDGER}{entries[1].pk}/").status_code == 404
    assert as_employee.get(f"{LEDGER}{entries[1].pk}/").status_code == 404
    assert as_admin.get(LEDGER, {"employee": org["cid"].pk}).json()["count"] == 1


@pytest.fixture
def local_cache(settings) -> None:
    """Throttle counters in process memory (see tests/org/test_api.py)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "manager"])
def test_list_query_count_is_flat(
    role, request, org, admin_user, local_cache, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"as_{role}")
    for i in range(30):
        entry = ledger_entry_create(
            employee=org["ann"],
            kind="adjustment",
            start_date=W10,
            end_date=W10,
            hours_per_week=D(i + 1),
            actor=admin_user,
        )
        if i % 3 == 0:
            ledger_entry_reverse(entry=entry, actor=admin_user)
    client.get(LEDGER)
    counts = {}
    for size in (1, 100):
        with django_assert_max_num_queries(5) as captured:
            response = client.get(LEDGER, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, 40)
        counts[size] = len(captured.captured_queries)
    assert counts[1] == counts[100], counts


# --- the hash chain -----------------------------------------------------------------------


@pytest.mark.django_db
def test_chain_verifies_and_tampering_is_detected(org, admin_user):
    for who in ("ann", "cid", "ann", "ann", "cid"):
        ledger_entry_create(
            employee=org[who],
            kind="extra_availability",
            start_date=W10,
            end_date=W10,
            hours_per_week=D("3"),
            actor=admin_user,
        )
    ledger_entry_reverse(entry=LedgerEntry.objects.order_by("id").first(), actor=admin_user)
    assert verify_log(LedgerEntry) == {"ok": True, "checked": 6, "first_broken": None}

    victim = LedgerEntry.objects.filter(employee=org["ann"]).order_by("id")[1]
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # ALTER TABLE refuses pending FK checks
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(f"UPDATE {table} SET hours_per_week = 30 WHERE id = %s", [victim.pk])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    result = verify_log(LedgerEntry)
    assert result["ok"] is False
    assert result["first_broken"]["id"] == victim.pk
    assert result["first_broken"]["subject"] == org["ann"].pk


@pytest.mark.django_db
def test_a_deleted_row_breaks_the_chain_at_the_next_one(org, admin_user):
    rows = [
        ledger_entry_create(
            employee=org["ann"],
            kind="adjustment",
            start_date=W10,
            end_date=W10,
            hours_per_week=D(n),
            actor=admin_user,
        )
        for n in ("1", "2", "3")
    ]
    table = LedgerEntry._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [rows[1].pk])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")
    result = verify_log(LedgerEntry)
    assert (result["ok"], result["first_broken"]["id"]) == (False, rows[2].pk)


# --- concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_reversals_exactly_one_wins(admin_user, local_cache):
    employee = make_employee(make_unit(), hire_date=dt.date(2025, 1, 6))
    entry = ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=W10,
        end_date=W10,
        hours_per_week=D("-40"),
        actor=admin_user,
    )
    clients = [bearer(APIClient(), admin_user) for _ in range(THREADS)]
    url = f"{LEDGER}{entry.pk}/reverse/"
    results = race(lambda: clients.pop().post(url, {}, format="json"))
    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert {r.json()["code"] for r in results if r.status_code == 409} == {"already_reversed"}
    corrections = LedgerEntry.objects.filter(kind="correction")
    assert corrections.count() == 1
    assert corrections.get().reverses_id == entry.pk
    assert verify_log(LedgerEntry) == {"ok": True, "checked": 2, "first_broken": None}


@pytest.mark.django_db(transaction=True)
def test_concurrent_creates_keep_one_chain(admin_user, local_cache):
    employee = make_employee(make_unit(), hire_date=dt.date(2025, 1, 6))
    clients = [bearer(APIClient(), admin_user) for _ in range(THREADS)]
    data = payload(employee, kind="extra_availability", hours_per_week="2")
    results = race(lambda: clients.pop().post(LEDGER, data, format="json"))
    assert [getattr(r, "status_code", r) for r in results] == [201] * THREADS, results
    rows = list(LedgerEntry.objects.filter(employee=employee).order_by("id"))
    assert len(rows) == THREADS
    assert [r.prev_hash for r in rows] == [GENESIS] + [r.hash for r in rows[:-1]]
    assert verify_log(LedgerEntry)["ok"] is True
