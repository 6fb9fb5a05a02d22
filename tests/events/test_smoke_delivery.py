from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from apps.events import dispatch, delivery, services
from apps.events.models import Delivery
from tests.events.receiver import receiving
from tests.factories.org import make_unit


@pytest.mark.django_db(transaction=True)
def test_inline_delivery(settings, admin_user):
    settings.WEBHOOK_ALLOW_PRIVATE = True
    with receiving() as receiver:
        webhook, secret = services.webhook_create(url=receiver.url, actor=admin_user)
        unit = make_unit("SMOKE")
        dispatch.dispatch()
        for shard in range(settings.WEBHOOK_SHARDS):
            delivery.deliver_shard(webhook.pk, shard)
        got = receiver.wait_for(2, timeout=5)
    types = [json.loads(r.body)["type"] for r in got]
    assert "coveris.org_unit.created" in types
    for r in got:
        Verifier(secret).verify(r.body, r.headers)
    assert Delivery.objects.filter(state="delivered").count() == len(got)
