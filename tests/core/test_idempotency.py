"""Idempotency keys (DESIGN.md §12, apps.core.idempotency): a POST with an `Idempotency-Key` is
done once per user and key; a retry replays the first answer without a second write."""

from __future__ import annotations

import datetime as dt
import functools
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from apps.assignments import services as assignment_services
from apps.assignments.models import Assignment
from apps.business_rules.models import BusinessRule
from apps.core import idempotency
from apps.core.models import IdempotencyKey
from tests.assignments import conftest as assignments
from tests.assignments.conftest import World, problem, row_counts
from tests.concurrency import race
from tests.conftest import bearer, cookie_login, csrf_header
from tests.factories.assignments import MONDAY
from tests.security.conftest import World as SecurityWorld
from tests.security.conftest import (
    api_schema,
    content_type_of,
    database_fingerprint,
    endpoint_url,
    fresh_copy,
    valid_payload,
    world_in_a_transaction,
    write_endpoints,
)

pytestmark = pytest.mark.django_db

URL = "/api/v1/assignments/"
KEY = "6f1c2a9e-retry-me"

world = assignments.world  # the assignments suite's fixture: a manager's scope, employees


@pytest.fixture(autouse=True)
def _no_default_rules(db) -> None:
    BusinessRule.objects.update(enabled=False)


def payload(world: World, **kw: Any) -> dict[str, Any]:
    body = {
        "employee": world.emp_in.pk,
        "position": world.pos_in.pk,
        "start_date": MONDAY.isoformat(),
        "end_date": (MONDAY + dt.timedelta(days=27)).isoformat(),
        "weekly_hours": "20.00",
    }
    body.update(kw)
    return body


def post(client: APIClient, body: Any, key: str | None = KEY, url: str = URL, **extra: Any):
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    if isinstance(body, bytes):  # a file upload (an import's form, the iCalendar import)
        return client.post(url, body, content_type=content_type_of(body), **extra)
    return client.post(url, body, format="json", **extra)


def replayed(response: Any) -> bool:
    return response.get(idempotency.REPLAYED_HEADER) == "true"


# --- replay ----------------------------------------------------------------------------------


def test_a_retried_proposal_replays_the_answer_and_books_the_hours_once(as_admin, world):
    first = post(as_admin, payload(world))
    assert first.status_code == 201, first.content
    assert not replayed(first)
    written = row_counts()

    second = post(as_admin, payload(world))

    assert second.status_code == 201
    assert replayed(second)
    assert second.content == first.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["ETag"] == first["ETag"]
    assert row_counts() == written  # no second write, no second key row
    assert Assignment.objects.filter(employee=world.emp_in).count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.key, row.request, row.status_code) == (KEY, f"POST {URL}", 201)


def test_without_a_key_nothing_changes(as_admin, world):
    first, second = post(as_admin, payload(world), key=None), post(as_admin, payload(world), None)

    assert (first.status_code, second.status_code) == (201, 201)
    assert not replayed(first)
    assert not replayed(second)
    assert first.json()["id"] != second.json()["id"]
    assert Assignment.objects.filter(employee=world.emp_in).count() == 2
    assert not IdempotencyKey.objects.exists()


def test_the_url_with_or_without_its_slash_is_the_same_endpoint(as_admin, world):
    first = post(as_admin, payload(world))
    second = post(as_admin, payload(world), url=URL.rstrip("/"))

    assert replayed(second)
    assert second.content == first.content
    assert Assignment.objects.filter(employee=world.emp_in).count() == 1


def test_a_validation_error_is_kept_and_replayed(as_admin, world):
    first = post(as_admin, payload(world, weekly_hours="-1"))
    problem(first, 400, "invalid")

    second = post(as_admin, payload(world, weekly_hours="-1"))

    assert second.status_code == 400
    assert replayed(second)
    assert second.content == first.content
    assert second["Content-Type"].startswith("application/problem+json")
    assert not Assignment.objects.filter(employee=world.emp_in).exists()


def test_a_transition_is_replayed_not_refused_as_a_second_run(as_admin, world):
    created = post(as_admin, payload(world), key=None).json()
    url = f"{URL}{created['id']}/transitions/"

    first = post(as_admin, {"transition": "approve"}, url=url)
    second = post(as_admin, {"transition": "approve"}, url=url)

    assert first.status_code == 200, first.content
    assert second.status_code == 200
    assert replayed(second)
    assert second.content == first.content


# --- the same key with another request ---------------------------------------------------------


def test_the_key_with_another_body_is_422_and_writes_nothing(as_admin, world):
    post(as_admin, payload(world))
    before = row_counts()

    response = post(as_admin, payload(world, weekly_hours="10.00"))

    problem(response, 422, "idempotency_key_reused")
    assert not replayed(response)
    assert row_counts() == before


def test_the_key_on_another_endpoint_is_422(as_admin, world):
    post(as_admin, payload(world))

    response = post(as_admin, payload(world), url=f"{URL}simulate/")

    problem(response, 422, "idempotency_key_reused")


def test_the_key_with_another_query_string_is_422(as_admin, world):
    post(as_admin, payload(world))

    problem(post(as_admin, payload(world), url=f"{URL}?x=1"), 422, "idempotency_key_reused")


def test_keys_are_per_user(as_admin, as_manager, world):
    mine = post(as_admin, payload(world))
    theirs = post(as_manager, payload(world))

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert not replayed(theirs)
    assert mine.json()["id"] != theirs.json()["id"]
    assert IdempotencyKey.objects.filter(key=KEY).count() == 2


# --- expiry ----------------------------------------------------------------------------------


def test_an_expired_key_is_a_new_one(as_admin, world):
    first = post(as_admin, payload(world))
    IdempotencyKey.objects.update(created_at=timezone.now() - dt.timedelta(hours=24, seconds=1))

    second = post(as_admin, payload(world, weekly_hours="10.00"))  # even another body

    assert second.status_code == 201
    assert not replayed(second)
    assert second.json()["id"] != first.json()["id"]
    row = IdempotencyKey.objects.get()
    assert row.created_at > timezone.now() - dt.timedelta(minutes=1)
    assert post(as_admin, payload(world, weekly_hours="10.00")).content == second.content


def test_purge_deletes_the_expired_keys_only(as_admin, world, capsys):
    post(as_admin, payload(world), key="old")
    post(as_admin, payload(world), key="new")
    IdempotencyKey.objects.filter(key="old").update(
        created_at=timezone.now() - dt.timedelta(hours=25)
    )

    call_command("purge_idempotency_keys")

    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]
    assert "1 expired idempotency keys deleted" in capsys.readouterr().out


# --- what is not kept --------------------------------------------------------------------------


def test_a_server_error_keeps_neither_the_write_nor_the_key(as_admin, world, monkeypatch):
    original = assignment_services.assignment_propose

    def propose_then_fail(**kwargs: Any) -> Any:
        original(**kwargs)
        raise RuntimeError("boom after the write")

    monkeypatch.setattr(assignment_services, "assignment_propose", propose_then_fail)
    as_admin.raise_request_exception = False
    failed = post(as_admin, payload(world))
    problem(failed, 500, "server_error")
    assert not IdempotencyKey.objects.exists()
    assert not Assignment.objects.filter(employee=world.emp_in).exists()  # rolled back

    monkeypatch.setattr(assignment_services, "assignment_propose", original)
    retried = post(as_admin, payload(world))
    assert retried.status_code == 201
    assert not replayed(retried)
    assert Assignment.objects.filter(employee=world.emp_in).count() == 1


def test_a_throttled_request_releases_its_key(as_admin, world, monkeypatch):
    from rest_framework.throttling import UserRateThrottle

    monkeypatch.setattr(UserRateThrottle, "allow_request", lambda self, request, view: False)
    monkeypatch.setattr(UserRateThrottle, "wait", lambda self: 1)
    problem(post(as_admin, payload(world)), 429, "throttled")
    assert not IdempotencyKey.objects.exists()

    monkeypatch.undo()
    assert post(as_admin, payload(world)).status_code == 201


# --- the header itself -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["", " ", " padded", "padded ", "x" * 256, "clé", "tab\there", "new\x7fline"],
    ids=[
        "empty",
        "blank",
        "leading-space",
        "trailing-space",
        "256-chars",
        "non-ascii",
        "tab",
        "del",
    ],
)
def test_an_invalid_key_is_a_400_and_nothing_runs(as_admin, world, key):
    before = row_counts()

    response = post(as_admin, payload(world), key=key)

    body = problem(response, 400, "invalid_idempotency_key")
    assert "Idempotency-Key" in body["detail"]
    assert row_counts() == before


def test_a_key_of_255_printable_characters_is_accepted(as_admin, world):
    key = ("a b~!" * 51)[:254] + "z"
    assert len(key) == 255
    assert post(as_admin, payload(world), key=key).status_code == 201
    assert replayed(post(as_admin, payload(world), key=key))


# --- authentication ----------------------------------------------------------------------------


def test_an_unauthenticated_post_with_a_key_is_the_views_401(world):
    response = post(APIClient(), payload(world))

    problem(response, 401, "not_authenticated")
    assert not IdempotencyKey.objects.exists()


def test_the_cookie_flow_is_keyed_and_csrf_still_checked(admin_user, world):
    client = APIClient(enforce_csrf_checks=True)
    cookie_login(client, admin_user.email)

    refused = post(client, payload(world))  # no X-CSRFToken
    problem(refused, 403, "csrf_failed")
    assert not IdempotencyKey.objects.exists()

    first = post(client, payload(world), **csrf_header(client))
    second = post(client, payload(world), **csrf_header(client))
    assert first.status_code == 201
    assert replayed(second)
    assert IdempotencyKey.objects.get().user == admin_user
    # The same user with a bearer token: the same key.
    assert replayed(post(bearer(APIClient(), admin_user), payload(world)))


@pytest.mark.parametrize("route", ["auth/login/", "auth/token/"])
def test_the_auth_endpoints_take_no_key(admin_user, route):
    from tests.factories.users import PASSWORD

    client = APIClient()
    body = {"email": admin_user.email, "password": PASSWORD}
    first = post(client, body, url=f"/api/v1/{route}")
    second = post(client, body, url=f"/api/v1/{route}")

    assert (first.status_code, second.status_code) == (200, 200)
    assert not replayed(second)
    assert not IdempotencyKey.objects.exists()  # no credentials stored


# --- concurrency -------------------------------------------------------------------------------


def _block_proposals(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """The proposal's service signals `entered` once it has written, then waits for `release`."""
    entered, release = threading.Event(), threading.Event()
    original = assignment_services.assignment_propose

    def slow_propose(**kwargs: Any) -> Any:
        assignment = original(**kwargs)
        entered.set()
        assert release.wait(30)
        return assignment

    monkeypatch.setattr(assignment_services, "assignment_propose", slow_propose)
    return entered, release


def _in_thread(call: Any) -> tuple[threading.Thread, list[Any]]:
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(call())
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_retry_waits_for_the_first_and_replays_it(admin_user, world, monkeypatch):
    entered, release = _block_proposals(monkeypatch)
    first_thread, first = _in_thread(lambda: post(bearer(APIClient(), admin_user), payload(world)))
    assert entered.wait(30)
    second_thread, second = _in_thread(
        lambda: post(bearer(APIClient(), admin_user), payload(world))
    )
    time.sleep(0.5)
    assert second_thread.is_alive(), "the retry waits while the first request runs"

    release.set()
    first_thread.join(30)
    second_thread.join(30)

    assert first[0].status_code == 201
    assert not replayed(first[0])
    assert second[0].status_code == 201
    assert replayed(second[0])
    assert second[0].content == first[0].content
    assert Assignment.objects.filter(employee=world.emp_in).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_retry_that_waits_too_long_is_409_in_progress(admin_user, world, monkeypatch):
    monkeypatch.setattr(idempotency, "WAIT_SECONDS", 0.2)
    entered, release = _block_proposals(monkeypatch)
    first_thread, first = _in_thread(lambda: post(bearer(APIClient(), admin_user), payload(world)))
    assert entered.wait(30)

    try:
        waited = post(bearer(APIClient(), admin_user), payload(world))
    finally:
        release.set()
        first_thread.join(30)

    problem(waited, 409, "idempotency_key_in_progress")
    assert waited["Retry-After"] == "1"
    assert first[0].status_code == 201
    assert replayed(post(bearer(APIClient(), admin_user), payload(world)))
    assert Assignment.objects.filter(employee=world.emp_in).count() == 1


@pytest.mark.django_db(transaction=True)
def test_racing_retries_write_once(admin_user, world):
    clients = [bearer(APIClient(), admin_user) for _ in range(6)]

    responses = race(lambda: post(clients.pop(), payload(world)), n=6)

    assert [r.status_code for r in responses] == [201] * 6, responses
    assert sorted(replayed(r) for r in responses) == [False] + [True] * 5
    assert len({r.content for r in responses}) == 1
    assert Assignment.objects.filter(employee=world.emp_in).count() == 1
    assert IdempotencyKey.objects.count() == 1


# --- every POST ------------------------------------------------------------------------------

POSTS = [endpoint for endpoint, method in write_endpoints() if method == "POST"]


def test_the_sweep_finds_the_posts():
    routes = {endpoint.route for endpoint in POSTS}
    assert {"assignments/", "assignments/{pk}/transitions/", "assignments/simulate/"} <= routes
    assert {"users/{pk}/deactivate/", "hours-ledger/{pk}/reverse/", "auth/login/"} <= routes
    assert {
        "webhooks/",
        "webhooks/{pk}/test/",
        "webhooks/{pk}/rotate-secret/",
        "webhooks/{pk}/replay/",
        "webhooks/{pk}/deliveries/{delivery_id}/retry/",
    } <= routes
    assert {
        "leave-requests/",
        "leave-requests/{pk}/transitions/",
        "leave-requests/simulate/",
        "leave-entitlements/",
    } <= routes


@pytest.fixture(scope="class")
def security_world(django_db_setup, django_db_blocker) -> Iterator[SecurityWorld]:
    """The security suites' World for a whole class: built once in a transaction rolled back
    after the class's last test (the transactional tests above must not run inside it)."""
    disable = functools.partial(BusinessRule.objects.update, enabled=False)
    with world_in_a_transaction(django_db_blocker, before=disable) as built:
        yield built


class TestEveryPost:
    """The sweep shares one World (`security_world`); each test runs in a savepoint of its
    transaction, so each POST meets the world as built."""

    @pytest.fixture(autouse=True)
    def _no_default_rules(self, db) -> None:
        """Overrides the module's: the default rules are disabled before the World is seeded
        (above), and the World's own rule stays enabled, as when each test built its World."""

    @pytest.fixture
    def sweep_world(self, db, security_world) -> SecurityWorld:
        return fresh_copy(security_world)

    @pytest.mark.parametrize("endpoint", POSTS, ids=lambda endpoint: endpoint.route)
    def test_every_post_is_keyed_and_replays_without_a_second_write(self, endpoint, sweep_world):
        """Every POST of the URL conf, with the body that succeeds for an HR admin, sent twice
        with one key: the second answer is the first, and the database is as the first left it.
        The auth endpoints (no authenticators, so no user) ignore the key and store nothing."""
        world = sweep_world
        client = world.client("admin")
        url = endpoint_url(world, endpoint)
        body = valid_payload(world, endpoint.route, "POST")

        first = post(client, body, url=url)
        after_first = database_fingerprint()
        second = post(client, body, url=url)

        if not idempotency.keyed(endpoint.view):
            assert endpoint.route.startswith("auth/"), "only the auth endpoints take no key"
            assert not replayed(second)
            assert not IdempotencyKey.objects.exists()
            return
        assert 200 <= first.status_code < 300, first.content
        assert not replayed(first)
        assert (second.status_code, second.content) == (first.status_code, first.content)
        assert replayed(second)
        assert database_fingerprint() == after_first
        assert IdempotencyKey.objects.get().request == f"POST {url}"


def test_the_schema_documents_the_header_on_every_keyed_post():
    documented = {}
    for path, operations in api_schema()["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "header"}
            documented[(method, path)] = idempotency.HEADER in names
    assert {key for key, has in documented.items() if has and key[0] != "post"} == set()
    posts = {path: has for (method, path), has in documented.items() if method == "post"}
    assert posts, "the schema has POST operations"
    assert {path for path, has in posts.items() if not has} == {
        path for path in posts if path.startswith("/api/v1/auth/")
    }
    parameter = next(
        p
        for p in api_schema()["paths"]["/api/v1/assignments/"]["post"]["parameters"]
        if p["name"] == idempotency.HEADER
    )
    assert not parameter.get("required", False)
    assert parameter["schema"]["maxLength"] == idempotency.MAX_LENGTH
