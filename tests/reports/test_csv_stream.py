"""A report's CSV download is streamed (issue 16, item 5): computed and written a batch of
keys at a time, so its memory does not grow with the report (`make bench-healthz` prints the
peak memory of a 13- and a 260-week download), and read in one snapshot, so a change committed
while it streams does not show up half-way through."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.offer import views as offer_views
from apps.reports import views as report_views
from tests.factories.org import make_employee, make_unit

RANGE = {"from": "2026-03-02", "to": "2026-03-29", "format": "csv"}  # 4 weeks
SUPPLY = "/api/v1/supply/"


def employees(count: int) -> list:
    unit = make_unit("CSV")
    return [
        make_employee(unit, contract_hours=Decimal("40"), hire_date=dt.date(2025, 1, 6))
        for _ in range(count)
    ]


def parsed(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(body.decode("utf-8"))))


@pytest.mark.django_db
def test_the_download_is_streamed_a_batch_of_keys_at_a_time(as_admin, monkeypatch):
    staff = employees(7)
    monkeypatch.setattr(report_views, "CSV_ROWS_PER_BATCH", 8)  # 2 employees × 4 weeks
    batches: list[int] = []
    original = offer_views.SupplyView.grid_rows

    def spy(self, request, params, keys):
        batches.append(len(keys))
        return original(self, request, params, keys)

    monkeypatch.setattr(offer_views.SupplyView, "grid_rows", spy)
    response = as_admin.get(SUPPLY, RANGE)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="supply_')
    assert batches == []  # nothing computed before the body is read
    rows = parsed(response.getvalue())
    assert batches == [2, 2, 2, 1]
    assert len(rows) == 7 * 4
    assert [int(r["employee"]) for r in rows[::4]] == [e.pk for e in staff]


@pytest.mark.django_db
def test_the_streamed_rows_are_the_json_rows(as_admin, monkeypatch):
    employees(5)
    monkeypatch.setattr(report_views, "CSV_ROWS_PER_BATCH", 4)
    rows = parsed(as_admin.get(SUPPLY, RANGE).getvalue())
    listed = as_admin.get(SUPPLY, {**RANGE, "format": "json", "page_size": 100}).json()
    # CSV has no null: an empty cell (working_hours without a calendar).
    assert rows == [
        {k: "" if v is None else str(v) for k, v in r.items()} for r in listed["results"]
    ]


@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_it_streams_is_not_half_in_it(admin_user, monkeypatch):
    from rest_framework.test import APIClient

    from apps.offer.services import ledger_entry_create
    from tests.conftest import bearer

    staff = employees(4)
    monkeypatch.setattr(report_views, "CSV_ROWS_PER_BATCH", 4)  # one employee a batch
    client = bearer(APIClient(), admin_user)
    before = parsed(client.get(SUPPLY, RANGE).getvalue())

    response = client.get(SUPPLY, RANGE)
    parts = iter(response.streaming_content)
    head = [next(parts), next(parts)]  # the header and the first employee's rows

    def change_the_last_one() -> None:
        try:
            ledger_entry_create(
                employee=staff[-1],
                kind="leave",
                start_date=dt.date(2026, 3, 2),
                end_date=dt.date(2026, 3, 29),
                hours_per_week=Decimal("-40"),
                actor=admin_user,
            )
        finally:
            connection.close()

    writer = threading.Thread(target=change_the_last_one)
    writer.start()
    writer.join(timeout=30)
    body = b"".join(p if isinstance(p, bytes) else p.encode() for p in [*head, *parts])
    assert parsed(body) == before  # one snapshot: the commit came after it was taken
    after = parsed(client.get(SUPPLY, RANGE).getvalue())
    assert {r["supply"] for r in after if int(r["employee"]) == staff[-1].pk} == {"0.00"}
