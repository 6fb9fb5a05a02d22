"""The dispatcher: reads the commit-safe feed past its cursor and fans each event out into one
delivery per matching webhook, in one set-based statement per batch; then asks for the
deliveries to be made (apps.events.delivery). Woken after every committed write to an audited
table (apps.core.capture.on_commit_of_writes), and by a periodic sweep."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import connection, transaction

from apps.events import feed, gaps
from apps.events.models import DispatchCursor, Event

log = logging.getLogger(__name__)

BATCH = 5000
CURSOR_NAME = "webhooks"
QUEUEING_LOCK = "events-dispatch"

# One delivery per (webhook, event) for the webhooks that take it: active, created before the
# event, of a matching type (all when none are named; `x.*` a prefix) and, when the webhook names
# an org unit, about a subject in its subtree. Inserted in feed order, so that delivery ids keep
# it per subject.
# Whether webhook `w` takes event `e`: of a matching type (all when none are named; `x.*` a
# prefix) and, when the webhook names an org unit, about a subject in its subtree.
MATCHES = """
  (jsonb_array_length(w.event_types) = 0 OR EXISTS (
        SELECT 1 FROM jsonb_array_elements_text(w.event_types) t(pattern)
         WHERE e.type = t.pattern
            OR (right(t.pattern, 2) = '.*' AND left(e.type, length(t.pattern) - 1)
                = left(t.pattern, length(t.pattern) - 1))))
  AND (w.org_unit_id IS NULL OR EXISTS (
        SELECT 1 FROM org_orgunit su JOIN org_orgunit eu ON eu.id = e.org_unit_id
         WHERE su.id = w.org_unit_id AND eu.path LIKE su.path || '%%'))
"""

# One delivery per (webhook, event) for the active webhooks created before the event that take
# it. Inserted in feed order, so that delivery ids keep it per subject.
INSERT_DELIVERIES = """
INSERT INTO events_delivery (webhook_id, event_id, subject, shard, state, attempts,
                             next_attempt_at, created_at, last_error)
SELECT w.id, e.id, e.subject, mod(abs(hashtext(e.subject)), %(shards)s), 'pending', 0,
       now(), now(), ''
FROM events_event e
JOIN events_webhook w ON {webhooks}
WHERE {events} AND {matches}
ORDER BY e.xid, e.id, w.id
ON CONFLICT (webhook_id, event_id) DO NOTHING
RETURNING webhook_id, shard
"""

FAN_OUT = INSERT_DELIVERIES.format(
    webhooks="w.active AND e.time >= w.created_at",
    events="(e.xid, e.id) > (%(from_xid)s, %(from_id)s)"
    " AND (e.xid, e.id) <= (%(to_xid)s, %(to_id)s)",
    matches=MATCHES,
)


def audited_tables() -> frozenset[str]:
    """The tables whose writes produce events: every change-captured table (its trigger writes
    core_change) and every hash-chained log."""
    from django.apps import apps

    from apps.core.capture import tracked_models
    from apps.fsm.models import HashChainedLog

    tables = {model._meta.db_table for model in tracked_models()}
    tables.update(
        model._meta.db_table for model in apps.get_models() if issubclass(model, HashChainedLog)
    )
    tables.add(Event._meta.db_table)
    return frozenset(tables)


_migrating = False


def migrating(*, started: bool) -> None:
    """pre_migrate / post_migrate: no waking while the schema (the queue's tables too) is
    being built; the first sweep after it dispatches what migrations recorded."""
    global _migrating
    _migrating = started


def wake() -> None:
    """Ask a worker to dispatch (one queued dispatch at a time; a failure only delays the
    events until the sweep)."""
    from procrastinate.exceptions import AlreadyEnqueued

    if _migrating:
        return

    from apps.events.tasks import dispatch_events

    try:
        with transaction.atomic():  # a savepoint, should an enclosing transaction be open
            dispatch_events.configure(queueing_lock=QUEUEING_LOCK).defer()
    except AlreadyEnqueued:
        pass
    except Exception:  # the write has committed; the sweep will find its events
        log.warning("could not wake the event dispatcher", exc_info=True)


def dispatch_batch() -> tuple[int, set[tuple[int, int]]]:
    """Fan out the next batch of committed events; (events read, the (webhook, shard) pairs
    that got deliveries). The batch's gap events are written in the same transaction.
    Dispatchers take turns on the cursor's row lock."""
    with transaction.atomic():
        DispatchCursor.objects.get_or_create(name=CURSOR_NAME)
        cursor = DispatchCursor.objects.select_for_update().get(name=CURSOR_NAME)
        events = list(
            feed.after(cursor.position).only(
                "xid", "id", "uid", "type", "subject", "time", "entity_type", "data"
            )[:BATCH]
        )
        if not events:
            return 0, set()
        last = feed.position_of(events[-1])
        with connection.cursor() as sql:
            sql.execute(
                FAN_OUT,
                {
                    "shards": settings.WEBHOOK_SHARDS,
                    "from_xid": cursor.xid,
                    "from_id": cursor.event_id,
                    "to_xid": last[0],
                    "to_id": last[1],
                },
            )
            pairs = {(int(w), int(s)) for w, s in sql.fetchall()}
        cursor.xid, cursor.event_id = last
        cursor.save(update_fields=["xid", "event_id", "updated_at"])
        gaps.check_batch(events)
    return len(events), pairs


def dispatch() -> int:
    """Dispatch until the feed is read to its end; how many events were read."""
    from apps.events.delivery import request_delivery

    total = 0
    while True:
        read, pairs = dispatch_batch()
        total += read
        for webhook_id, shard in sorted(pairs):
            request_delivery(webhook_id, shard)
        if read < BATCH:
            return total
