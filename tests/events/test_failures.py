"""A webhook is disabled only when its receiver has failed everything for the whole window: one
subject the receiver refuses does not disable a webhook whose other deliveries succeed. Run
inline (the dispatcher and the delivery job called as a worker calls them)."""

from __future__ import annotations

import json

import pytest

from apps.events import delivery, services
from apps.events.models import Delivery, Webhook
from apps.org import services as org_services
from tests.events.conftest import dispatch_all
from tests.events.receiver import receiving
from tests.factories.org import make_unit

pytestmark = pytest.mark.django_db(transaction=True)


def _deliver_everything(webhook: Webhook, shards: int) -> None:
    for shard in range(shards):
        delivery.deliver_shard(webhook.pk, shard)


def test_one_refused_subject_does_not_disable_the_webhook(settings, admin_user):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_WINDOW_SECONDS = 0  # any failure is a whole window of failures
    settings.WEBHOOK_SHARDS = 1
    refused = make_unit("REFUSED")

    def answer(received) -> int:
        return 500 if json.loads(received.body)["subject"] == f"org_unit/{refused.pk}" else 200

    with receiving(answer) as receiver:
        webhook, _ = services.webhook_create(
            url=receiver.url, event_types=["coveris.org_unit.updated"], actor=admin_user
        )
        for name in ("a", "b"):
            org_services.org_unit_update(unit=refused, name=name)
            org_services.org_unit_update(unit=make_unit(), name=name)
        dispatch_all()
        _deliver_everything(webhook, 1)
        _deliver_everything(webhook, 1)
    webhook.refresh_from_db()
    assert webhook.active, webhook.disabled_reason
    states = {d.subject: d.state for d in Delivery.objects.filter(webhook=webhook)}
    assert states[f"org_unit/{refused.pk}"] == "dead"  # the window is 0 s: dead at once
    assert list(states.values()).count("delivered") == 2


def test_a_receiver_failing_everything_for_the_window_disables_the_webhook(settings, admin_user):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_WINDOW_SECONDS = 0
    settings.WEBHOOK_SHARDS = 1
    with receiving(lambda _: 503) as receiver:
        webhook, _ = services.webhook_create(
            url=receiver.url, event_types=["coveris.org_unit.*"], actor=admin_user
        )
        make_unit()
        dispatch_all()
        _deliver_everything(webhook, 1)  # the first failure starts the record
        make_unit()
        dispatch_all()
        _deliver_everything(webhook, 1)  # still failing after the window: disabled
    webhook.refresh_from_db()
    assert not webhook.active
    assert webhook.disabled_reason.startswith("Disabled automatically")
    assert "answered 503" in webhook.disabled_reason


def test_a_long_answer_does_not_spoil_the_next_delivery_on_its_connection(settings):
    """Only 64 KB of an answer is read: the connection is then closed, not reused with the
    rest of the answer unread."""
    import http.server
    import threading

    from apps.events.delivery import send

    settings.WEBHOOK_ALLOW_PRIVATE = True
    seen: list[bytes] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            seen.append(self.rfile.read(int(self.headers["Content-Length"])))
            long = b"x" * 200_000 if len(seen) == 1 else b"ok"
            self.send_response(200)
            self.send_header("Content-Length", str(len(long)))
            self.end_headers()
            self.wfile.write(long)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        first = send(url, {}, b'{"n": 1}')
        second = send(url, {}, b'{"n": 2}')
    finally:
        server.shutdown()
        server.server_close()
    assert (first.ok, first.status_code) == (True, 200)
    assert (second.ok, second.status_code) == (True, 200)
    assert seen == [b'{"n": 1}', b'{"n": 2}']
