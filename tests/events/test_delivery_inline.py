"""Deliveries run in this process, as a worker's job runs them (the dispatcher, then
apps.events.delivery.deliver_shard), to a real receiver on 127.0.0.1: quick checks of what the
worker tests (test_delivery.py) show end to end, and the only ones the coverage report sees
(a worker process is not measured). The test ping is here too: it is sent by the web process."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from standardwebhooks.webhooks import Webhook as Verifier

from apps.events import delivery, services
from apps.events.models import Attempt, Delivery, Event
from tests.events.conftest import dispatch_all
from tests.events.receiver import receiving, refusing_url
from tests.factories.org import make_unit

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _webhooks_to_this_machine(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_REQUIRE_HTTPS = False


def deliver_everything(webhook_id: int) -> None:
    dispatch_all()
    for shard in range(django_settings.WEBHOOK_SHARDS):
        delivery.deliver_shard(webhook_id, shard)


def test_a_delivery_is_signed_and_recorded(admin_user):
    with receiving() as receiver:
        webhook, secret = services.webhook_create(
            url=receiver.url, event_types=["coveris.org_unit.*"], actor=admin_user
        )
        unit = make_unit("INLINE")
        deliver_everything(webhook.pk)
        got = receiver.snapshot()

    event = Event.objects.get(subject=f"org_unit/{unit.pk}", type="coveris.org_unit.created")
    (received,) = got
    payload = Verifier(secret).verify(received.body, received.headers)
    assert (payload["id"], payload["type"]) == (event.uid, "coveris.org_unit.created")
    assert received.header("webhook-id") == event.uid
    row = Delivery.objects.get(webhook=webhook)
    assert (row.state, row.attempts, row.last_status, row.last_error) == ("delivered", 1, 200, "")
    (attempt,) = Attempt.objects.filter(delivery=row)
    assert (attempt.status_code, attempt.error) == (200, "")


def test_a_webhook_whose_address_became_private_is_refused_at_delivery(settings, admin_user):
    """Saved while 127.0.0.1 was allowed, delivered where it is not (as if its DNS name now
    pointed there): the attempt is refused, nothing is sent, the delivery waits for a retry."""
    with receiving() as receiver:
        webhook, _ = services.webhook_create(
            url=receiver.url, event_types=["coveris.org_unit.*"], actor=admin_user
        )
        make_unit("PRIVATE")
        settings.WEBHOOK_ALLOW_PRIVATE = False
        deliver_everything(webhook.pk)
        got = receiver.snapshot()

    assert got == []
    row = Delivery.objects.get(webhook=webhook)
    assert (row.state, row.attempts, row.last_status) == ("pending", 1, None)
    (attempt,) = Attempt.objects.filter(delivery=row)
    assert attempt.status_code is None
    assert attempt.error.startswith("refused"), attempt.error
    assert "127.0.0.1" in attempt.error
    assert "private" in attempt.error
    webhook.refresh_from_db()
    assert webhook.failing_since is not None  # a failure, counted towards disabling it


def test_the_test_ping_answers_how_the_receiver_answered(as_admin):
    """POST webhooks/{id}/test/ sends a signed ping now and tells the receiver's answer; nothing
    is recorded. A port where nothing listens is a failed connection, not a timeout."""
    with receiving(lambda _: 204) as receiver:
        response = as_admin.post("/api/v1/webhooks/", {"url": receiver.url}, format="json")
        assert response.status_code == 201, response.content
        live = response.json()
        response = as_admin.post(f"/api/v1/webhooks/{live['id']}/test/", format="json")
        got = receiver.snapshot()
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"ok", "status_code", "duration_ms", "error"}
    assert (body["ok"], body["status_code"], body["error"]) == (True, 204, "")
    assert 0 <= body["duration_ms"] < 2000
    (ping,) = got
    payload = Verifier(live["secret"]).verify(ping.body, ping.headers)
    assert payload["type"] == "coveris.webhook.test"
    assert payload["subject"] == f"webhook/{live['id']}"

    response = as_admin.post("/api/v1/webhooks/", {"url": refusing_url()}, format="json")
    assert response.status_code == 201, response.content
    response = as_admin.post(f"/api/v1/webhooks/{response.json()['id']}/test/", format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["ok"], body["status_code"]) == (False, None)
    assert "Connection refused" in body["error"]
    assert body["error"].startswith("failed"), body["error"]  # not "timed out"
    assert not Delivery.objects.exists()
    assert not Attempt.objects.exists()
