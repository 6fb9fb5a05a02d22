"""Deliveries (DESIGN §10): each event POSTed to each webhook that takes it, signed per Standard
Webhooks, at least once, in order per subject, retried with exponential backoff until
WEBHOOK_RETRY_WINDOW_SECONDS after the first attempt, then dead; a webhook failing that long is
disabled.

One job at a time delivers one (webhook, shard) (procrastinate's `lock`); a subject always falls
in the same shard, so its deliveries go out one after another, in the order the dispatcher made
them. Within a job, different subjects are delivered side by side on a few threads. A delivery
is marked delivered only after the receiver answered 2xx; a worker killed in between delivers it
again (at least once: receivers deduplicate on `webhook-id`)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import urllib3
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Min
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as Signer

from apps.core.capture import acting_as
from apps.events import cloud, secrets, ssrf
from apps.events.models import Attempt, Delivery, DeliveryState, Event, Webhook

log = logging.getLogger(__name__)

BATCH = 500
THREADS = 8
MAX_BACKOFF_SECONDS = 6 * 3600
ERROR_LENGTH = 500
USER_AGENT = "Coveris-Webhooks/1"
ANSWER_BYTES = 64 * 1024

_pools: dict[tuple[str, str, int, str], urllib3.HTTPConnectionPool] = {}
_pools_lock = threading.Lock()


def lock_name(webhook_id: int, shard: int) -> str:
    return f"webhook-{webhook_id}-{shard}"


def request_delivery(webhook_id: int, shard: int, *, at: dt.datetime | None = None) -> None:
    """Queue the job that delivers the (webhook, shard)'s pending deliveries: now (one such job
    queued at a time), or at `at` for the next retry (one such job, moved earlier when an
    earlier retry falls due). Jobs of one (webhook, shard) run one at a time (`lock`); a retry
    scheduled hours ahead never holds back the deliveries that are due now."""
    from procrastinate.exceptions import AlreadyEnqueued

    from apps.events.tasks import deliver

    name = lock_name(webhook_id, shard)
    queueing_lock = name if at is None else f"{name}:later"
    try:
        # A savepoint: the queue refuses a second job by a unique index, which would abort an
        # enclosing transaction.
        with transaction.atomic():
            deliver.configure(
                lock=name,
                queueing_lock=queueing_lock,
                schedule_at=at,
                priority=0 if at is None else -1,
            ).defer(webhook_id=webhook_id, shard=shard)
    except AlreadyEnqueued:
        if at is not None:
            with connection.cursor() as sql:
                sql.execute(
                    "UPDATE procrastinate_jobs SET scheduled_at = %s WHERE queueing_lock = %s"
                    " AND status = 'todo' AND scheduled_at > %s",
                    [at, queueing_lock, at],
                )


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: BASE, 4×BASE, 16×BASE ... at most 6 h."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** max(attempts - 1, 0)
    return dt.timedelta(seconds=min(seconds, MAX_BACKOFF_SECONDS))


# --- signing and sending -----------------------------------------------------------------------


def signature_headers(
    webhook: Webhook, msg_id: str, payload: bytes, now: dt.datetime
) -> dict[str, str]:
    """Standard Webhooks' headers; while a rotated-out secret is in its overlap window, its
    signature is sent beside the new one (receivers accept either)."""
    signatures = [Signer(secrets.decrypt(webhook.secret_encrypted)).sign(msg_id, now, payload)]
    if (
        webhook.previous_secret_encrypted
        and webhook.previous_secret_expires_at
        and webhook.previous_secret_expires_at > now
    ):
        previous = secrets.decrypt(webhook.previous_secret_encrypted)
        signatures.append(Signer(previous).sign(msg_id, now, payload))
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": " ".join(signatures),
    }


@dataclass
class Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    error: str


def _pool(target: ssrf.Target) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, target.address, target.port, target.host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            kwargs: dict[str, Any] = {"maxsize": THREADS, "block": False, "retries": False}
            if target.scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    target.address,
                    target.port,
                    server_hostname=target.host,
                    assert_hostname=target.host,
                    **kwargs,
                )
            else:
                pool = urllib3.HTTPConnectionPool(target.address, target.port, **kwargs)
            _pools[key] = pool
        return pool


def send(url: str, headers: dict[str, str], payload: bytes) -> Outcome:
    """POST `payload` to `url` (checked by the SSRF guard, connected to the checked address),
    cut off after WEBHOOK_TIMEOUT_SECONDS; redirects are not followed."""
    started = time.monotonic()

    def outcome(ok: bool, status: int | None, error: str) -> Outcome:
        return Outcome(ok, status, int((time.monotonic() - started) * 1000), error[:ERROR_LENGTH])

    try:
        target = ssrf.check(url, delivering=True)
    except ssrf.UnsafeURL as exc:
        return outcome(False, None, f"refused: {exc}")
    assert target is not None
    host_header = target.host if target.port in (80, 443) else f"{target.host}:{target.port}"
    all_headers = {
        "Host": host_header,
        "Content-Type": cloud.CONTENT_TYPE,
        "User-Agent": USER_AGENT,
        **headers,
    }
    try:
        response = _pool(target).urlopen(
            "POST",
            target.path,
            body=payload,
            headers=all_headers,
            redirect=False,
            assert_same_host=False,
            timeout=urllib3.Timeout(total=settings.WEBHOOK_TIMEOUT_SECONDS),
            preload_content=False,
        )
    except urllib3.exceptions.HTTPError as exc:
        reason = getattr(exc, "reason", None) or exc
        kind = (
            "timed out"
            if (
                isinstance(exc, urllib3.exceptions.TimeoutError)
                and not isinstance(exc, urllib3.exceptions.NewConnectionError)
            )
            or "timed out" in str(reason).lower()
            else "failed"
        )
        return outcome(False, None, f"{kind}: {reason}")
    # At most 64 KB of the answer is read; a connection whose answer was longer (or broke) is
    # closed rather than reused, so no unread bytes reach the next request on it.
    reusable = False
    try:
        reusable = len(response.read(ANSWER_BYTES + 1, decode_content=False)) <= ANSWER_BYTES
    except urllib3.exceptions.HTTPError:
        pass
    finally:
        if not reusable:
            response.close()
        response.release_conn()
    status = response.status
    if 200 <= status < 300:
        return outcome(True, status, "")
    return outcome(False, status, f"answered {status}")


# --- one (webhook, shard) ----------------------------------------------------------------------


def _now() -> dt.datetime:
    with connection.cursor() as sql:
        sql.execute("SELECT clock_timestamp()")
        return sql.fetchone()[0]


def _deliver_subject(
    webhook: Webhook, rows: list[Delivery], *, events: dict[int, Event]
) -> list[tuple[Delivery, Outcome, dt.datetime]]:
    """Send one subject's due deliveries in order, stopping at its first failure."""
    results = []
    for delivery in rows:
        event = events[delivery.event_id]
        payload = cloud.body(event)
        now = timezone.now()
        try:
            headers = signature_headers(webhook, event.uid, payload, now)
        except ValueError:  # encrypted under a key that is gone (docs/OPERATIONS.md)
            result = Outcome(False, None, 0, "the signing secret cannot be read: rotate it")
        else:
            result = send(webhook.url, headers, payload)
        results.append((delivery, result, now))
        if not result.ok:
            break
    return results


# The recorded attempts' outcome, one statement for the batch (bulk_update's CASE per row and
# field cost ~4 ms of Python a delivery).
UPDATE_DELIVERIES = """
UPDATE events_delivery d
   SET attempts = v.attempts, first_attempt_at = v.first_attempt_at,
       last_attempt_at = v.last_attempt_at, last_status = v.last_status,
       last_error = v.last_error, state = v.state, delivered_at = v.delivered_at,
       next_attempt_at = v.next_attempt_at
  FROM unnest(%s::bigint[], %s::int[], %s::timestamptz[], %s::timestamptz[], %s::int[],
              %s::text[], %s::text[], %s::timestamptz[], %s::timestamptz[])
       AS v(id, attempts, first_attempt_at, last_attempt_at, last_status, last_error, state,
            delivered_at, next_attempt_at)
 WHERE d.id = v.id
"""


def _record(webhook: Webhook, results: list[tuple[Delivery, Outcome, dt.datetime]]) -> None:
    """Write the attempts and the deliveries' new states in one transaction; disable a webhook
    that has been failing for the whole retry window."""
    window = dt.timedelta(seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS)
    attempts = []
    succeeded = failed = False
    last_error = ""
    with transaction.atomic():
        for delivery, result, at in results:
            attempts.append(
                Attempt(
                    delivery_id=delivery.pk,
                    at=at,
                    status_code=result.status_code,
                    duration_ms=result.duration_ms,
                    error=result.error,
                )
            )
            delivery.attempts += 1
            delivery.first_attempt_at = delivery.first_attempt_at or at
            delivery.last_attempt_at = at
            delivery.last_status = result.status_code
            delivery.last_error = result.error
            if result.ok:
                succeeded = True
                delivery.state = DeliveryState.DELIVERED
                delivery.delivered_at = at
            else:
                failed = True
                last_error = result.error
                if at - delivery.first_attempt_at >= window:
                    delivery.state = DeliveryState.DEAD
                else:
                    ended = at + dt.timedelta(milliseconds=result.duration_ms)
                    delivery.next_attempt_at = ended + backoff(delivery.attempts)
        Attempt.objects.bulk_create(attempts)
        rows = [d for d, _, _ in results]
        with connection.cursor() as sql:
            sql.execute(
                UPDATE_DELIVERIES,
                [
                    [d.pk for d in rows],
                    [d.attempts for d in rows],
                    [d.first_attempt_at for d in rows],
                    [d.last_attempt_at for d in rows],
                    [d.last_status for d in rows],
                    [d.last_error for d in rows],
                    [d.state for d in rows],
                    [d.delivered_at for d in rows],
                    [d.next_attempt_at for d in rows],
                ],
            )
        if succeeded:  # the receiver answers: it is not failing, whatever one subject does
            Webhook.objects.filter(pk=webhook.pk, failing_since__isnull=False).update(
                failing_since=None
            )
        elif failed:
            _note_failure(webhook, last_error, window)


def _note_failure(webhook: Webhook, error: str, window: dt.timedelta) -> None:
    now = timezone.now()
    locked = Webhook.objects.select_for_update().get(pk=webhook.pk)
    if locked.failing_since is None:
        locked.failing_since = now
        locked.save(update_fields=["failing_since"])
    elif locked.active and now - locked.failing_since >= window:
        since = f"{locked.failing_since:%Y-%m-%d %H:%M} UTC"
        reason = f"Disabled automatically: every delivery failed since {since} (last: {error})"
        reason = reason[:200]
        with acting_as(None, reason=reason):
            locked.active = False
            locked.disabled_reason = reason
            locked.save(update_fields=["active", "disabled_reason", "updated_at"])
        log.warning("webhook %s disabled: %s", locked.pk, reason)
        webhook.active = False


def _due(webhook_id: int, shard: int) -> tuple[list[list[Delivery]], dt.datetime | None]:
    """The next deliveries to send, grouped by subject in order (each subject's run stops at its
    first delivery that is not due yet), and when the earliest waiting one falls due."""
    now = _now()
    pending = list(
        Delivery.objects.filter(
            webhook_id=webhook_id, shard=shard, state=DeliveryState.PENDING
        ).order_by("id")[:BATCH]
    )
    groups: OrderedDict[str, list[Delivery]] = OrderedDict()
    blocked: set[str] = set()
    wait: dt.datetime | None = None
    for delivery in pending:
        if delivery.subject in blocked:
            continue
        if delivery.next_attempt_at > now:
            blocked.add(delivery.subject)
            wait = min(wait, delivery.next_attempt_at) if wait else delivery.next_attempt_at
            continue
        groups.setdefault(delivery.subject, []).append(delivery)
    if not groups and len(pending) == BATCH:
        # A full batch of waiting subjects: look past it for the earliest due time.
        earliest = Delivery.objects.filter(
            webhook_id=webhook_id, shard=shard, state=DeliveryState.PENDING
        ).aggregate(at=Min("next_attempt_at"))["at"]
        wait = earliest
    return list(groups.values()), wait


def deliver_shard(webhook_id: int, shard: int) -> int:
    """Deliver the (webhook, shard)'s due deliveries until none is left; queue the job again for
    when the next retry falls due. How many attempts were made."""
    made = 0
    while True:
        webhook = Webhook.objects.filter(pk=webhook_id).first()
        if webhook is None or not webhook.active:
            return made
        groups, wait = _due(webhook_id, shard)
        if not groups:
            if wait is not None:
                request_delivery(webhook_id, shard, at=wait)
            return made
        events = Event.objects.in_bulk([d.event_id for group in groups for d in group])
        connection.close_if_unusable_or_obsolete()
        with ThreadPoolExecutor(max_workers=min(THREADS, len(groups))) as pool:
            done = list(
                pool.map(functools.partial(_deliver_subject, webhook, events=events), groups)
            )
        results = [r for group in done for r in group]
        _record(webhook, results)
        made += len(results)
