"""Services that change webhooks and their deliveries. Every webhook change is captured in the
change log (the `webhook` entity; secrets never enter it)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import Conflict, ProblemError
from apps.core.services import model_update, model_validate
from apps.events import cloud, delivery, dispatch, feed, secrets, ssrf, types
from apps.events.models import Delivery, DeliveryState, Event, Webhook
from apps.users.models import User

WEBHOOK_FIELDS = ("url", "description", "event_types", "org_unit", "active")
MAX_OVERLAP_HOURS = 7 * 24


def check_url(url: str) -> None:
    """400 when the SSRF guard refuses `url` (private_address, insecure_url, invalid)."""
    try:
        ssrf.check(url)
    except ssrf.UnsafeURL as exc:
        raise ProblemError(str(exc), code=exc.code, errors={"url": [str(exc)]}) from None


def check_event_types(patterns: list[str]) -> None:
    """400 naming the valid types when a pattern matches none."""
    unknown = types.unknown(patterns)
    if unknown:
        raise ProblemError(
            f"Unknown event types: {', '.join(unknown[:20])}. An event type is one of `valid`, "
            "or a prefix ending in `.*` (e.g. coveris.assignment.*).",
            code=ErrorCode.UNKNOWN_EVENT_TYPE,
            unknown=unknown[:100],
            valid=types.event_types(),
        )


def _deliver_all_shards(webhook_id: int) -> None:
    for shard in range(settings.WEBHOOK_SHARDS):
        delivery.request_delivery(webhook_id, shard)


@attributed
@transaction.atomic
def webhook_create(
    *,
    url: str,
    event_types: list[str] | None = None,
    org_unit: Any = None,
    description: str = "",
    active: bool = True,
    actor: User | None = None,
) -> tuple[Webhook, str]:
    """A subscription and its signing secret (returned here once, kept encrypted)."""
    check_url(url)
    patterns = list(dict.fromkeys(event_types or []))
    check_event_types(patterns)
    secret = secrets.generate()
    webhook = Webhook(
        url=url,
        event_types=patterns,
        org_unit=org_unit,
        description=description,
        active=active,
        secret_encrypted=secrets.encrypt(secret),
        created_by=actor,
    )
    model_validate(webhook)
    webhook.save()
    return webhook, secret


@attributed
@transaction.atomic
def webhook_update(
    *, webhook: Webhook, if_match: str | None = None, actor: User | None = None, **fields: Any
) -> Webhook:
    """Change a subscription; turning it back on clears its failure record and delivers what
    waited."""
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    check_if_match(locked, if_match)
    if "url" in fields and fields["url"] != locked.url:
        check_url(fields["url"])
    if "event_types" in fields:
        fields["event_types"] = list(dict.fromkeys(fields["event_types"] or []))
        check_event_types(fields["event_types"])
    reenabled = fields.get("active") is True and not locked.active
    model_update(instance=locked, data=fields, fields=[f for f in WEBHOOK_FIELDS if f in fields])
    if reenabled:
        # Its failure record is cleared with it, and what waited is delivered.
        locked.failing_since, locked.disabled_reason = None, ""
        locked.save(update_fields=["failing_since", "disabled_reason", "updated_at"])
        transaction.on_commit(lambda: _deliver_all_shards(locked.pk))
    return locked


@attributed
@transaction.atomic
def webhook_delete(*, webhook: Webhook, actor: User | None = None) -> None:
    Webhook.objects.select_for_update().get(pk=webhook.pk).delete()


@attributed
@transaction.atomic
def webhook_rotate_secret(
    *, webhook: Webhook, overlap_hours: int = 24, actor: User | None = None
) -> tuple[Webhook, str]:
    """A new signing secret (returned once); the old one keeps signing beside it for
    `overlap_hours`, so receivers can switch without missing a delivery."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise ProblemError(
            f"overlap_hours is between 0 and {MAX_OVERLAP_HOURS}.",
            code=ErrorCode.INVALID,
            errors={"overlap_hours": [f"Between 0 and {MAX_OVERLAP_HOURS}."]},
        )
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    secret = secrets.generate()
    locked.previous_secret_encrypted = locked.secret_encrypted if overlap_hours else ""
    locked.previous_secret_expires_at = (
        timezone.now() + dt.timedelta(hours=overlap_hours) if overlap_hours else None
    )
    locked.secret_encrypted = secrets.encrypt(secret)
    locked.save(
        update_fields=[
            "secret_encrypted",
            "previous_secret_encrypted",
            "previous_secret_expires_at",
            "updated_at",
        ]
    )
    return locked, secret


@attributed
@transaction.atomic
def delivery_retry(*, delivery_row: Delivery, actor: User | None = None) -> Delivery:
    """Deliver again, now, with a fresh retry window (a dead delivery, or a delivered one the
    receiver lost)."""
    locked = Delivery.objects.select_for_update().select_related("webhook").get(pk=delivery_row.pk)
    if not locked.webhook.active:
        raise Conflict(
            "The webhook is off: turn it back on (active: true), then retry.",
            code=ErrorCode.WEBHOOK_INACTIVE,
        )
    locked.state = DeliveryState.PENDING
    locked.next_attempt_at = timezone.now()
    locked.first_attempt_at = None
    locked.save(update_fields=["state", "next_attempt_at", "first_attempt_at"])
    webhook_id, shard = locked.webhook_id, locked.shard
    transaction.on_commit(lambda: delivery.request_delivery(webhook_id, shard))
    return locked


REPLAY_RESET = """
UPDATE events_delivery d SET state = 'pending', next_attempt_at = now(), first_attempt_at = NULL
  FROM events_event e
 WHERE d.event_id = e.id AND d.webhook_id = %(webhook)s
   AND e.time >= %(since)s AND e.time < %(until)s
RETURNING d.shard
"""

REPLAY_INSERT = dispatch.INSERT_DELIVERIES.format(
    webhooks="w.id = %(webhook)s",
    events=f"e.time >= %(since)s AND e.time < %(until)s AND {feed.committed('e')}",
    matches=dispatch.MATCHES,
)


@attributed
@transaction.atomic
def webhook_replay(
    *, webhook: Webhook, since: dt.datetime, until: dt.datetime, actor: User | None = None
) -> int:
    """Deliver again every event of [since, until) that the webhook takes (also those from
    before it existed); how many deliveries were queued."""
    if until <= since:
        raise ProblemError(
            "`until` is after `since`.",
            code=ErrorCode.END_BEFORE_START,
            errors={"until": ["After since."]},
        )
    params: dict[str, Any] = {
        "webhook": webhook.pk,
        "since": since,
        "until": until,
        "shards": settings.WEBHOOK_SHARDS,
    }
    with connection.cursor() as sql:
        sql.execute(REPLAY_RESET, params)
        shards = {row[0] for row in sql.fetchall()}
        count = sql.rowcount
        sql.execute(REPLAY_INSERT, params)
        rows = sql.fetchall()
    shards.update(int(s) for _, s in rows)
    webhook_id = webhook.pk

    def request() -> None:
        for shard in sorted(shards):
            delivery.request_delivery(webhook_id, shard)

    transaction.on_commit(request)
    return count + len(rows)


def webhook_test(*, webhook: Webhook) -> delivery.Outcome:
    """Send a signed `coveris.webhook.test` ping now and say how the receiver answered
    (nothing is recorded)."""
    ping = Event(
        uid=f"ping:{uuid.uuid4()}",
        type="coveris.webhook.test",
        subject=f"webhook/{webhook.pk}",
        entity_type="webhook",
        entity_id=webhook.pk,
        time=timezone.now(),
        data={"webhook": webhook.pk, "message": "A test ping from Coveris."},
    )
    payload = cloud.body(ping)
    headers = delivery.signature_headers(webhook, ping.uid, payload, timezone.now())
    return delivery.send(webhook.url, headers, payload)
