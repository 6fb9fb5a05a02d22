"""Events and webhooks in the Django admin: subscriptions through the services (secret shown once,
the SSRF guard and the event types checked), a disabled webhook announced, deliveries with their
attempts, dead letters retried, a time range replayed, and the event outbox read-only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.core.models import Change
from apps.events import services
from apps.events.models import Attempt, Delivery, Event, Webhook
from tests.factories.org import make_unit

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.test/coveris"


def _messages(page) -> list[str]:
    return [str(m) for m in page.context["messages"]]


def test_an_admin_adds_a_webhook_and_sees_its_secret_once(admin_client_, settings):
    page = admin_client_.post(
        "/admin/events/webhook/add/",
        {"url": URL, "description": "HRIS", "event_types": '["coveris.assignment.*"]'},
        follow=True,
    )
    assert page.status_code == 200
    webhook = Webhook.objects.get(url=URL)
    assert webhook.event_types == ["coveris.assignment.*"]
    shown = [m for m in _messages(page) if "whsec_" in m]
    assert len(shown) == 1
    detail = admin_client_.get(f"/admin/events/webhook/{webhook.pk}/change/")
    assert b"whsec_" not in detail.content
    assert Change.objects.filter(entity_type="webhook", entity_id=webhook.pk).exists()


@pytest.mark.parametrize(
    ("url", "types", "message"),
    [
        ("http://127.0.0.1/x", "[]", b"private"),
        (URL, '["coveris.nothing"]', b"Unknown event types"),
    ],
)
def test_the_admin_form_refuses_what_the_api_refuses(admin_client_, settings, url, types, message):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    page = admin_client_.post("/admin/events/webhook/add/", {"url": url, "event_types": types})
    assert page.status_code == 200
    assert message in page.content
    assert not Webhook.objects.exists()


def test_a_webhook_disabled_after_failures_is_announced(admin_client_, admin_user):
    webhook, _ = services.webhook_create(url=URL, actor=admin_user)
    Webhook.objects.filter(pk=webhook.pk).update(
        active=False, disabled_reason="Disabled automatically: every delivery failed since ..."
    )
    page = admin_client_.get("/admin/events/webhook/")
    assert any("Disabled automatically" in m and URL in m for m in _messages(page))


def _dead_delivery(webhook: Webhook) -> Delivery:
    make_unit()
    event = Event.objects.order_by("-id").first()
    now = timezone.now()
    row = Delivery.objects.create(
        webhook=webhook,
        event=event,
        subject=event.subject,
        shard=0,
        state="dead",
        attempts=3,
        next_attempt_at=now,
        first_attempt_at=now - dt.timedelta(days=1),
        last_status=500,
    )
    Attempt.objects.create(
        delivery=row, at=now, status_code=500, duration_ms=12, error="answered 500"
    )
    return row


def test_dead_letters_are_listed_with_their_attempts_and_retried(admin_client_, admin_user):
    webhook, _ = services.webhook_create(url=URL, actor=admin_user)
    row = _dead_delivery(webhook)
    listing = admin_client_.get("/admin/events/delivery/?state__exact=dead")
    assert listing.status_code == 200
    assert str(row.pk).encode() in listing.content
    detail = admin_client_.get(f"/admin/events/delivery/{row.pk}/change/")
    assert b"answered 500" in detail.content
    page = admin_client_.post(
        "/admin/events/delivery/",
        {"action": "retry", "_selected_action": [row.pk]},
        follow=True,
    )
    assert page.status_code == 200
    row.refresh_from_db()
    assert row.state == "pending"
    assert row.first_attempt_at is None


def test_a_time_range_is_replayed_from_the_admin(admin_client_, admin_user):
    webhook, _ = services.webhook_create(url=URL, actor=admin_user)
    row = _dead_delivery(webhook)
    form = admin_client_.get(f"/admin/events/webhook/{webhook.pk}/replay/")
    assert form.status_code == 200
    now = timezone.now()
    since = now - dt.timedelta(hours=1)
    page = admin_client_.post(
        f"/admin/events/webhook/{webhook.pk}/replay/",
        {
            "since_0": since.date().isoformat(),
            "since_1": since.strftime("%H:%M:%S"),
            "until_0": (now + dt.timedelta(hours=1)).date().isoformat(),
            "until_1": (now + dt.timedelta(hours=1)).strftime("%H:%M:%S"),
        },
        follow=True,
    )
    assert page.status_code == 200
    assert any("queued" in m for m in _messages(page))
    row.refresh_from_db()
    assert row.state == "pending"


def test_the_outbox_is_read_only_in_the_admin(admin_client_):
    make_unit()
    event = Event.objects.order_by("-id").first()
    assert admin_client_.get("/admin/events/event/").status_code == 200
    assert admin_client_.get(f"/admin/events/event/{event.pk}/change/").status_code == 200
    assert (
        admin_client_.post(f"/admin/events/event/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
