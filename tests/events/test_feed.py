"""events/: the commit-safe feed (DESIGN §10). A reader that keeps the cursor of the last event
it saw never misses an event, even one whose transaction commits after the reader passed it."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from apps.events import feed
from apps.org.models import OrgUnit
from tests.factories.org import make_unit


def _read_all(client, cursor: str = "") -> tuple[list[dict], str]:
    """Every page from `cursor` on, as a reader would: (events, the last cursor)."""
    events: list[dict] = []
    url = "/api/v1/events/" + (f"?after={cursor}" if cursor else "")
    while True:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        events += body["results"]
        cursor = body["cursor"]
        if not body["next"]:
            return events, cursor
        url = body["next"]


@pytest.mark.django_db(transaction=True)
def test_an_event_committed_late_is_not_skipped(as_admin):
    """Two transactions write; the one that wrote first commits last. A reader reading in
    between sees neither past the open one, and, reading on from its cursor, sees both."""
    _, cursor = _read_all(as_admin)
    first_wrote = threading.Event()
    second_committed = threading.Event()
    errors: list[BaseException] = []

    def slow() -> None:
        try:
            with transaction.atomic():
                OrgUnit.objects.create(code="SLOW", name="Slow")  # written first...
                first_wrote.set()
                second_committed.wait(10)
            # ...committed last
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=slow)
    thread.start()
    assert first_wrote.wait(10)
    OrgUnit.objects.create(code="FAST", name="Fast")  # written second, committed first
    second_committed.set()
    between, cursor_between = _read_all(as_admin, cursor)
    thread.join(10)
    assert not errors
    after, _ = _read_all(as_admin, cursor_between)

    seen = [
        e["data"]["changes"]["code"][1]
        for e in between + after
        if e["type"] == "coveris.org_unit.created"
    ]
    assert sorted(seen) == ["FAST", "SLOW"]
    assert len(seen) == len(set(seen))


@pytest.mark.django_db(transaction=True)
def test_the_feed_holds_back_events_newer_than_an_open_transaction(as_admin):
    """While a transaction that wrote is open, events committed after it started writing are
    held back, and appear once it ends (here: rolls back)."""
    _, cursor = _read_all(as_admin)
    opened = threading.Event()
    release = threading.Event()

    def held_open() -> None:
        try:
            with transaction.atomic():
                OrgUnit.objects.create(code="OPEN", name="Open")
                opened.set()
                release.wait(10)
                transaction.set_rollback(True)
        finally:
            connection.close()

    thread = threading.Thread(target=held_open)
    thread.start()
    assert opened.wait(10)
    make_unit("LATER")
    held, _ = _read_all(as_admin, cursor)
    release.set()
    thread.join(10)
    now, _ = _read_all(as_admin, cursor)
    assert [e for e in held if e["type"] == "coveris.org_unit.created"] == []
    codes = [
        e["data"]["changes"]["code"][1] for e in now if e["type"] == "coveris.org_unit.created"
    ]
    assert codes == ["LATER"]


@pytest.mark.django_db(transaction=True)
def test_pages_follow_each_other_in_order(as_admin):
    _, start = _read_all(as_admin)
    for i in range(7):
        make_unit(f"P{i}")
    response = as_admin.get(f"/api/v1/events/?after={start}&page_size=3")
    body = response.json()
    assert len(body["results"]) == 3
    assert body["next"].endswith(f"after={body['cursor']}&page_size=3")
    events, _ = _read_all(as_admin, start)
    codes = [
        e["data"]["changes"]["code"][1] for e in events if e["type"] == "coveris.org_unit.created"
    ]
    assert codes == [f"P{i}" for i in range(7)]
    ids = [e["id"] for e in events]
    assert len(ids) == len(set(ids))


@pytest.mark.django_db
@pytest.mark.parametrize("cursor", ["x", "1", "1.2.3", "-1.2", "99999999999999999999.1", "1.%00"])
def test_a_malformed_cursor_is_a_400(as_admin, cursor):
    response = as_admin.get("/api/v1/events/", {"after": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.django_db
def test_only_admins_and_auditors_read_the_feed(
    as_admin, as_auditor, as_manager, as_employee, api_client
):
    assert as_admin.get("/api/v1/events/").status_code == 200
    assert as_auditor.get("/api/v1/events/").status_code == 200
    assert as_manager.get("/api/v1/events/").status_code == 403
    assert as_employee.get("/api/v1/events/").status_code == 403
    assert api_client.get("/api/v1/events/").status_code == 401


@pytest.mark.django_db
def test_page_size_is_capped_and_checked(as_admin):
    assert as_admin.get("/api/v1/events/?page_size=abc").status_code in (400, 404)


@pytest.mark.django_db
def test_cursor_round_trip():
    assert feed.parse_cursor(feed.cursor_of((12, 34))) == (12, 34)
    assert feed.parse_cursor("") is None
