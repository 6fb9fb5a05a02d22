"""webhooks/ (DESIGN §10), as an HR admin's integration would meet it: the signing secret is
shown once and never again (not in the detail, the list, the history or the audit log), event
types are checked against the catalogue, URLs pass the SSRF guard at subscription and at every
change, updates honour If-Match, and secrets rotate with an overlap window. Deliveries are
listed, filtered, retried and replayed; the test ping is signed with the shown secret."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook as Verifier

from apps.audit_log.models import AuditEntry
from apps.core.models import IdempotencyKey
from apps.events import secrets
from apps.events.models import Delivery, DeliveryState, Event, Webhook
from tests.events.receiver import receiving
from tests.factories.org import make_unit

pytestmark = pytest.mark.django_db

URL = "/api/v1/webhooks/"
HOOK = "http://127.0.0.1:9/hook"  # nothing listens on the loopback's discard port
PUBLIC = "https://93.184.216.34/hook"  # a global address, written as one (no DNS lookup)


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem document with `status` (and `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def create(client: APIClient, **fields: Any) -> Any:
    return client.post(URL, {"url": HOOK, **fields}, format="json")


def created(client: APIClient, **fields: Any) -> dict[str, Any]:
    response = create(client, **fields)
    assert response.status_code == 201, response.content
    body: dict[str, Any] = response.json()
    return body


def dead_delivery(webhook: Webhook) -> Delivery:
    """A delivery of the webhook's newest event (its own creation's), given up."""
    event = Event.objects.order_by("-id")[0]
    return Delivery.objects.create(
        webhook=webhook,
        event=event,
        subject=event.subject,
        shard=0,
        state=DeliveryState.DEAD,
        attempts=3,
        next_attempt_at=timezone.now(),
        first_attempt_at=timezone.now() - dt.timedelta(hours=25),
        last_error="connection refused",
    )


# --- the secret is shown once ------------------------------------------------------------------


def test_create_answers_201_with_the_secret_once(as_admin, admin_user):
    unit = make_unit("WH-UNIT")
    response = create(
        as_admin,
        description="Payroll",
        event_types=["coveris.assignment.approved", "coveris.employee.*"],
        org_unit=unit.pk,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_")
    assert len(secret) > len("whsec_") + 40
    assert body["url"] == HOOK
    assert body["event_types"] == ["coveris.assignment.approved", "coveris.employee.*"]
    assert (body["org_unit"], body["active"], body["created_by"]) == (unit.pk, True, admin_user.pk)
    row = Webhook.objects.get(pk=body["id"])
    assert secret not in row.secret_encrypted  # kept encrypted...
    assert secrets.decrypt(row.secret_encrypted) == secret  # ...and usable to sign
    # A second subscription gets its own secret.
    assert created(as_admin)["secret"] != secret


def test_the_secret_is_in_no_read_and_no_log(as_admin):
    body = created(as_admin, description="Chat")
    secret, pk = body["secret"], body["id"]
    rotated = as_admin.post(f"{URL}{pk}/rotate-secret/", {"overlap_hours": 1}, format="json")
    assert rotated.status_code == 200, rotated.content
    row = Webhook.objects.get(pk=pk)
    hidden = {
        secret,
        rotated.json()["secret"],
        row.secret_encrypted,
        row.previous_secret_encrypted,
        "secret_encrypted",
    }

    detail = as_admin.get(f"{URL}{pk}/")
    listing = as_admin.get(URL)
    history = as_admin.get(f"{URL}{pk}/history/")
    audit = as_admin.get("/api/v1/audit-log/", {"entity_type": "webhook", "entity_id": pk})

    for response in (detail, listing, history, audit):
        assert response.status_code == 200, response.content
        text = response.content.decode()
        assert not [h for h in hidden if h in text], text[:500]
    assert "secret" not in detail.json()
    assert "secret" not in listing.json()["results"][0]
    # The log does record the creation and the rotation, without the secret.
    rows = history.json()["results"]
    assert {r["action"] for r in rows} == {"create", "update"}, rows
    changed = [set(r["changes"]) for r in rows]
    assert all(
        not (c & {"secret", "secret_encrypted", "previous_secret_encrypted"}) for c in changed
    )
    assert any("previous_secret_expires_at" in c for c in changed), changed
    assert {r["entity_id"] for r in audit.json()["results"]} == {pk}
    assert not AuditEntry.objects.filter(changes__has_key="secret_encrypted").exists()


def test_the_secret_reaches_no_log_line(as_admin, caplog):
    with caplog.at_level(logging.DEBUG), caplog.at_level(logging.INFO, logger="coveris.access"):
        body = created(as_admin)
        pk = body["id"]
        rotated = as_admin.post(f"{URL}{pk}/rotate-secret/").json()
        as_admin.post(f"{URL}{pk}/test/")  # signs with both secrets (overlap)

    assert any(r.name == "coveris.access" for r in caplog.records)  # the lines were written
    text = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert body["secret"] not in text
    assert rotated["secret"] not in text


def test_a_keyed_create_keeps_no_plain_secret_for_its_replay(as_admin):
    """An Idempotency-Key keeps the first answer 24 h to replay it (DESIGN §12): for a
    create or a rotation that answer holds the secret, which is stored encrypted only."""
    key = {"HTTP_IDEMPOTENCY_KEY": "webhook-create-1"}
    first = as_admin.post(URL, {"url": HOOK}, format="json", **key)
    assert first.status_code == 201, first.content
    pk = first.json()["id"]
    rotated = as_admin.post(f"{URL}{pk}/rotate-secret/", HTTP_IDEMPOTENCY_KEY="rotate-1")
    assert rotated.status_code == 200, rotated.content

    stored = b"".join(bytes(row.response_body) for row in IdempotencyKey.objects.all())
    assert first.json()["secret"].encode() not in stored
    assert rotated.json()["secret"].encode() not in stored


# --- event types -------------------------------------------------------------------------------


def test_event_types_lists_the_catalogue(as_admin):
    response = as_admin.get(f"{URL}event-types/")

    assert response.status_code == 200
    types = response.json()
    assert types == sorted(types)
    assert {
        "coveris.assignment.approved",
        "coveris.employee.terminated",
        "coveris.coverage.gap_opened",
        "coveris.webhook.created",
    } <= set(types)


def test_an_unknown_event_type_is_400_listing_the_valid_ones(as_admin):
    response = create(as_admin, event_types=["coveris.assignment.approved", "coveris.payday"])

    body = problem(response, 400, "unknown_event_type")
    assert body["unknown"] == ["coveris.payday"]
    assert body["valid"] == as_admin.get(f"{URL}event-types/").json()
    assert not Webhook.objects.exists()


@pytest.mark.parametrize("pattern", ["coveris.nothing.*", "coveris.assignment", "*", "coveris."])
def test_a_pattern_that_matches_nothing_is_400(as_admin, pattern):
    problem(create(as_admin, event_types=[pattern]), 400, "unknown_event_type")
    assert not Webhook.objects.exists()


def test_a_prefix_is_accepted_and_duplicates_are_kept_once(as_admin):
    body = created(
        as_admin, event_types=["coveris.assignment.*", "coveris.assignment.*", "coveris.tag.*"]
    )

    assert body["event_types"] == ["coveris.assignment.*", "coveris.tag.*"]
    assert Webhook.objects.get().event_types == ["coveris.assignment.*", "coveris.tag.*"]


def test_patch_checks_event_types_too(as_admin):
    pk = created(as_admin)["id"]

    response = as_admin.patch(f"{URL}{pk}/", {"event_types": ["coveris.nope"]}, format="json")

    problem(response, 400, "unknown_event_type")
    assert Webhook.objects.get().event_types == []


# --- the SSRF guard ----------------------------------------------------------------------------

PRIVATE = [
    "https://10.0.0.1/",
    "http://localhost/",
    "http://127.0.0.1:8000/x",
    "http://[::1]/",
    "http://169.254.169.254/latest",
    "http://0.0.0.0/",
    "http://192.168.1.10/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://metadata.google.internal/computeMetadata/v1/",
    # The loopback spelled otherwise, and the ranges beside the private ones.
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f.0.0.1/",
    "http://[fe80::1%25eth0]/",
    "http://[::]/",
    "http://100.64.0.1/",
    "http://224.0.0.1/",
    "http://[64:ff9b::7f00:1]/",
]


@pytest.mark.parametrize("url", PRIVATE)
def test_a_private_address_is_refused(as_admin, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    body = problem(create(as_admin, url=url), 400, "private_address")

    assert "url" in body["errors"]
    assert not Webhook.objects.exists()


def test_a_public_address_is_accepted_when_private_ones_are_not(as_admin, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    assert created(as_admin, url=PUBLIC)["url"] == PUBLIC


def test_plain_http_is_refused_where_https_is_required(as_admin, settings):
    settings.WEBHOOK_REQUIRE_HTTPS = True

    problem(create(as_admin, url="http://example.com/hook"), 400, "insecure_url")
    assert not Webhook.objects.exists()
    assert created(as_admin, url="https://127.0.0.1:9/hook")["url"] == "https://127.0.0.1:9/hook"


@pytest.mark.parametrize(
    "url",
    [
        "http://user:password@127.0.0.1:9/hook",
        "http://token@127.0.0.1:9/hook",
        "not a url",
        "127.0.0.1:9/hook",
        "ftp://127.0.0.1/hook",
        "javascript:alert(1)",
        "http://",
        "http:///hook",
        "http://127.0.0.1:99999/hook",
        "http://[::1/hook",
        "",
    ],
)
def test_a_url_that_is_no_webhook_url_is_400(as_admin, url):
    body = problem(create(as_admin, url=url), 400, "invalid")

    assert "url" in body["errors"], body
    assert not Webhook.objects.exists()


def test_the_credentials_of_a_refused_url_are_not_echoed(as_admin):
    response = create(as_admin, url="http://user:hunter2@127.0.0.1:9/hook")

    problem(response, 400, "invalid")
    assert b"hunter2" not in response.content


@pytest.mark.parametrize("method", ["patch", "put"])
def test_changing_the_url_to_a_private_address_is_refused(as_admin, settings, method):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    pk = created(as_admin, url=PUBLIC)["id"]
    body = {"url": "http://169.254.169.254/latest"}
    if method == "put":
        body.update(description="", event_types=[], org_unit=None, active=True)

    response = getattr(as_admin, method)(f"{URL}{pk}/", body, format="json")

    problem(response, 400, "private_address")
    assert Webhook.objects.get().url == PUBLIC


# --- updates -----------------------------------------------------------------------------------


def test_patch_honours_if_match(as_admin):
    pk = created(as_admin, description="Before")["id"]
    etag = as_admin.get(f"{URL}{pk}/")["ETag"]
    stale = etag.replace('"', "").rsplit("-", 1)[0]

    refused = as_admin.patch(
        f"{URL}{pk}/", {"description": "Lost"}, format="json", HTTP_IF_MATCH=f'"{stale}-0"'
    )
    problem(refused, 412, "precondition_failed")
    assert Webhook.objects.get().description == "Before"

    accepted = as_admin.patch(
        f"{URL}{pk}/", {"description": "After"}, format="json", HTTP_IF_MATCH=etag
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["description"] == "After"
    assert accepted["ETag"] != etag
    # The old ETag is stale now.
    again = as_admin.patch(
        f"{URL}{pk}/", {"description": "Again"}, format="json", HTTP_IF_MATCH=etag
    )
    problem(again, 412, "precondition_failed")


def test_put_replaces_the_subscription(as_admin):
    unit = make_unit("WH-PUT")
    pk = created(as_admin, description="Old", event_types=["coveris.tag.*"])["id"]

    response = as_admin.put(
        f"{URL}{pk}/",
        {
            "url": "http://127.0.0.1:9/other",
            "description": "New",
            "event_types": ["coveris.assignment.approved"],
            "org_unit": unit.pk,
            "active": False,
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    row = Webhook.objects.get()
    assert (row.url, row.description, row.event_types, row.org_unit_id, row.active) == (
        "http://127.0.0.1:9/other",
        "New",
        ["coveris.assignment.approved"],
        unit.pk,
        False,
    )
    assert "secret" not in response.json()


def test_the_secret_and_state_fields_cannot_be_written(as_admin):
    pk = created(as_admin)["id"]
    before = Webhook.objects.get()

    for field, value in (
        ("secret", "whsec_mine"),
        ("secret_encrypted", "x"),
        ("failing_since", "2026-01-01T00:00:00Z"),
        ("created_by", 1),
    ):
        response = as_admin.patch(f"{URL}{pk}/", {field: value}, format="json")
        body = problem(response, 400)
        assert field in body["errors"], body
    after = Webhook.objects.get()
    assert (after.secret_encrypted, after.failing_since) == (
        before.secret_encrypted,
        before.failing_since,
    )


# --- secret rotation ---------------------------------------------------------------------------


def test_rotate_secret_answers_a_new_secret_and_keeps_the_old_one_for_the_overlap(as_admin):
    old = created(as_admin)
    pk = old["id"]

    response = as_admin.post(f"{URL}{pk}/rotate-secret/", {"overlap_hours": 48}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert body["secret"] != old["secret"]
    expires = dt.datetime.fromisoformat(body["previous_secret_expires_at"])
    expected = timezone.now() + dt.timedelta(hours=48)
    assert abs((expires - expected).total_seconds()) < 60
    row = Webhook.objects.get()
    assert secrets.decrypt(row.secret_encrypted) == body["secret"]
    assert secrets.decrypt(row.previous_secret_encrypted) == old["secret"]
    assert as_admin.get(f"{URL}{pk}/").json()["previous_secret_expires_at"] is not None


def test_rotate_secret_without_overlap_drops_the_old_secret(as_admin):
    pk = created(as_admin)["id"]

    body = as_admin.post(f"{URL}{pk}/rotate-secret/", {"overlap_hours": 0}, format="json").json()

    assert body["previous_secret_expires_at"] is None
    assert Webhook.objects.get().previous_secret_encrypted == ""


def test_rotate_secret_defaults_to_a_day_of_overlap(as_admin):
    pk = created(as_admin)["id"]

    body = as_admin.post(f"{URL}{pk}/rotate-secret/").json()

    expires = dt.datetime.fromisoformat(body["previous_secret_expires_at"])
    assert abs((expires - timezone.now() - dt.timedelta(hours=24)).total_seconds()) < 60


@pytest.mark.parametrize("hours", [-1, 169, 10**30, "a day", None, 1.5])
def test_overlap_hours_out_of_range_is_400_and_nothing_rotates(as_admin, hours):
    pk = created(as_admin)["id"]
    before = Webhook.objects.get().secret_encrypted

    response = as_admin.post(f"{URL}{pk}/rotate-secret/", {"overlap_hours": hours}, format="json")

    body = problem(response, 400)
    assert "overlap_hours" in body["errors"], body
    assert Webhook.objects.get().secret_encrypted == before


# --- the test ping -----------------------------------------------------------------------------


def test_the_ping_is_signed_with_the_shown_secret(as_admin):
    with receiving() as receiver:
        body = created(as_admin, url=receiver.url)
        events = Event.objects.count()

        response = as_admin.post(f"{URL}{body['id']}/test/")

        assert response.status_code == 200, response.content
        result = response.json()
        assert (result["ok"], result["status_code"], result["error"]) == (True, 200, "")
        (ping,) = receiver.snapshot()
    headers = {k.lower(): v for k, v in ping.headers.items()}
    payload = Verifier(body["secret"]).verify(ping.body, headers)  # raises when unsigned
    assert payload["type"] == "coveris.webhook.test"
    assert json.loads(ping.body)["subject"] == f"webhook/{body['id']}"
    assert Event.objects.count() == events  # nothing recorded
    assert not Delivery.objects.exists()


def test_a_ping_nobody_answers_is_200_with_ok_false(as_admin):
    pk = created(as_admin)["id"]  # the discard port: refused at once

    response = as_admin.post(f"{URL}{pk}/test/")

    assert response.status_code == 200, response.content
    result = response.json()
    assert (result["ok"], result["status_code"]) == (False, None)
    assert result["error"]


def test_a_ping_takes_no_body(as_admin):
    pk = created(as_admin)["id"]

    problem(as_admin.post(f"{URL}{pk}/test/", {"url": "http://10.0.0.1/"}, format="json"), 400)


def test_a_ping_to_a_url_that_turned_private_is_refused(as_admin, settings):
    pk = created(as_admin)["id"]  # accepted while private addresses were allowed
    settings.WEBHOOK_ALLOW_PRIVATE = False

    result = as_admin.post(f"{URL}{pk}/test/").json()

    assert result["ok"] is False
    assert result["status_code"] is None
    assert "refused" in result["error"]


# --- deliveries, retry and replay ---------------------------------------------------------------


def test_deliveries_are_listed_newest_first_and_filtered_by_state(as_admin):
    pk = created(as_admin)["id"]
    webhook = Webhook.objects.get(pk=pk)
    dead = dead_delivery(webhook)
    url = f"{URL}{pk}/deliveries/"

    everything = as_admin.get(url, {"page_size": 10})
    dead_only = as_admin.get(url, {"state": "dead"})
    pending = as_admin.get(url, {"state": "pending"})

    assert everything.status_code == 200, everything.content
    (row,) = everything.json()["results"]
    assert (row["id"], row["state"], row["event_id"]) == (dead.pk, "dead", dead.event.uid)
    assert [r["id"] for r in dead_only.json()["results"]] == [dead.pk]
    assert pending.json()["results"] == []


@pytest.mark.parametrize("state", ["gone", "DEAD", "\u0000"])
def test_a_delivery_state_that_does_not_exist_is_400(as_admin, state):
    pk = created(as_admin)["id"]

    problem(as_admin.get(f"{URL}{pk}/deliveries/", {"state": state}), 400)


def test_an_unknown_deliveries_parameter_is_400(as_admin):
    pk = created(as_admin)["id"]

    body = problem(as_admin.get(f"{URL}{pk}/deliveries/", {"status": "dead"}), 400)
    assert "status" in body["errors"]


def test_retry_queues_a_dead_delivery_again(as_admin):
    pk = created(as_admin)["id"]
    dead = dead_delivery(Webhook.objects.get(pk=pk))

    response = as_admin.post(f"{URL}{pk}/deliveries/{dead.pk}/retry/")

    assert response.status_code == 202, response.content
    assert response.json()["state"] == "pending"
    dead.refresh_from_db()
    assert (dead.state, dead.first_attempt_at) == (DeliveryState.PENDING, None)


def test_retry_of_another_webhooks_delivery_is_404(as_admin):
    mine = created(as_admin)["id"]
    theirs = dead_delivery(Webhook.objects.get(pk=created(as_admin)["id"]))

    for delivery_id in (theirs.pk, 10**30, "abc", "\u00b2", "-1"):
        response = as_admin.post(f"{URL}{mine}/deliveries/{delivery_id}/retry/")
        problem(response, 404, "not_found")
    theirs.refresh_from_db()
    assert theirs.state == DeliveryState.DEAD


def test_replay_resets_the_deliveries_of_the_range(as_admin):
    pk = created(as_admin)["id"]
    dead = dead_delivery(Webhook.objects.get(pk=pk))
    # Just the delivery's event (the test database's migrations wrote events too).
    since = dead.event.time

    response = as_admin.post(
        f"{URL}{pk}/replay/",
        {"since": since.isoformat(), "until": (since + dt.timedelta(milliseconds=1)).isoformat()},
        format="json",
    )

    assert response.status_code == 202, response.content
    assert response.json() == {"queued": 1}
    dead.refresh_from_db()
    assert dead.state == DeliveryState.PENDING


@pytest.mark.parametrize("hours", [0, -1])
def test_replay_until_not_after_since_is_400(as_admin, hours):
    pk = created(as_admin)["id"]
    dead = dead_delivery(Webhook.objects.get(pk=pk))
    since = timezone.now() - dt.timedelta(hours=1)
    body = {"since": since.isoformat(), "until": (since + dt.timedelta(hours=hours)).isoformat()}

    response = as_admin.post(f"{URL}{pk}/replay/", body, format="json")

    assert "until" in problem(response, 400, "end_before_start")["errors"]
    dead.refresh_from_db()
    assert dead.state == DeliveryState.DEAD


def test_replay_needs_both_ends(as_admin):
    pk = created(as_admin)["id"]

    body = problem(as_admin.post(f"{URL}{pk}/replay/", {}, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"since", "until"}


# --- delete ------------------------------------------------------------------------------------


def test_delete_is_204_and_logged(as_admin, admin_user):
    pk = created(as_admin, description="Gone soon")["id"]
    dead_delivery(Webhook.objects.get(pk=pk))

    response = as_admin.delete(f"{URL}{pk}/")

    assert response.status_code == 204, response.content
    assert not Webhook.objects.exists()
    assert not Delivery.objects.exists()
    entry = AuditEntry.objects.get(entity_type="webhook", entity_id=pk, action="delete")
    assert entry.actor_id == admin_user.pk
    listed = as_admin.get("/api/v1/audit-log/", {"entity_type": "webhook", "entity_id": pk})
    assert "delete" in {r["action"] for r in listed.json()["results"]}
    problem(as_admin.get(f"{URL}{pk}/"), 404, "not_found")


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["as_manager", "as_auditor", "as_employee"])
def test_only_hr_admins_manage_webhooks(request, as_admin, role):
    client = request.getfixturevalue(role)
    pk = created(as_admin)["id"]
    dead = dead_delivery(Webhook.objects.get(pk=pk))
    before = Webhook.objects.get()

    calls = [
        client.get(URL),
        client.post(URL, {"url": HOOK}, format="json"),
        client.get(f"{URL}event-types/"),
        client.get(f"{URL}{pk}/"),
        client.patch(f"{URL}{pk}/", {"description": "Mine"}, format="json"),
        client.delete(f"{URL}{pk}/"),
        client.get(f"{URL}{pk}/history/"),
        client.get(f"{URL}{pk}/deliveries/"),
        client.post(f"{URL}{pk}/deliveries/{dead.pk}/retry/"),
        client.post(f"{URL}{pk}/test/"),
        client.post(f"{URL}{pk}/rotate-secret/"),
        client.post(
            f"{URL}{pk}/replay/",
            {"since": "2026-01-01T00:00:00Z", "until": "2026-02-01T00:00:00Z"},
            format="json",
        ),
    ]

    for response in calls:
        problem(response, 403, "permission_denied")
        assert b"whsec_" not in response.content
    after = Webhook.objects.get()
    assert (after.description, after.secret_encrypted) == (
        before.description,
        before.secret_encrypted,
    )
    assert Webhook.objects.count() == 1
    dead.refresh_from_db()
    assert dead.state == DeliveryState.DEAD


def test_anonymous_is_401(as_admin):
    pk = created(as_admin)["id"]

    problem(APIClient().get(URL), 401, "not_authenticated")
    problem(APIClient().post(f"{URL}{pk}/test/"), 401, "not_authenticated")


def test_the_feed_is_for_hr_admins_and_auditors(as_admin, as_auditor, as_manager, as_employee):
    assert as_admin.get("/api/v1/events/").status_code == 200
    assert as_auditor.get("/api/v1/events/").status_code == 200
    problem(as_manager.get("/api/v1/events/"), 403, "permission_denied")
    problem(as_employee.get("/api/v1/events/"), 403, "permission_denied")
    problem(as_admin.get("/api/v1/events/", {"after": "not-a-cursor"}), 400, "invalid_cursor")


def test_turning_a_disabled_webhook_back_on_clears_its_failure_record(as_admin):
    pk = created(as_admin)["id"]
    Webhook.objects.filter(pk=pk).update(
        active=False,
        failing_since=timezone.now() - dt.timedelta(hours=25),
        disabled_reason="Failing for 24 hours.",
    )

    response = as_admin.patch(f"{URL}{pk}/", {"active": True}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["active"], body["failing_since"], body["disabled_reason"]) == (True, None, "")
    row = Webhook.objects.get()
    assert (row.active, row.failing_since, row.disabled_reason) == (True, None, "")


def test_a_keyed_create_replays_the_same_answer_and_makes_one_webhook(as_admin):
    key = {"HTTP_IDEMPOTENCY_KEY": "webhook-create-twice"}
    first = as_admin.post(URL, {"url": HOOK}, format="json", **key)
    again = as_admin.post(URL, {"url": HOOK}, format="json", **key)
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()  # the secret too: a retry must learn it
    assert Webhook.objects.filter(url=HOOK).count() == 1


def test_retrying_a_delivery_of_a_webhook_that_is_off_says_so(as_admin):
    created = as_admin.post(URL, {"url": HOOK}, format="json").json()
    webhook = Webhook.objects.get(pk=created["id"])
    make_unit()
    event = Event.objects.order_by("-id").first()
    row = Delivery.objects.create(
        webhook=webhook,
        event=event,
        subject=event.subject,
        shard=0,
        state=DeliveryState.DEAD,
        next_attempt_at=timezone.now(),
    )
    Webhook.objects.filter(pk=webhook.pk).update(active=False)
    response = as_admin.post(f"{URL}{webhook.pk}/deliveries/{row.pk}/retry/")
    assert response.status_code == 409
    assert response.json()["code"] == "webhook_inactive"
    row.refresh_from_db()
    assert row.state == DeliveryState.DEAD
