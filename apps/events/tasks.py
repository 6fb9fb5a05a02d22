"""The event jobs (apps/jobs): the dispatcher (woken after writes, and swept periodically) and
the deliveries of one (webhook, shard). Both may run again from the start: the dispatcher's
cursor moves in the transaction that writes the deliveries, and a delivery not yet recorded as
delivered is sent again."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection

from apps.events import delivery, dispatch
from apps.jobs.queue import app, task

QUEUE = "events"


def _closing(func: Any) -> Any:
    try:
        return func()
    finally:
        if not connection.in_atomic_block:  # a worker's thread keeps no connection open
            connection.close()


@task(queue=QUEUE)
def dispatch_events() -> int:
    """Fan the committed events out into deliveries."""
    return int(_closing(dispatch.dispatch))


@app.periodic(cron=settings.EVENTS_SWEEP_CRON, periodic_id="sweep_events")
@app.task(queue=QUEUE, queueing_lock="sweep_events", pass_context=False)
def sweep_events(timestamp: int) -> int:
    """The periodic sweep: events written outside the application (raw SQL from elsewhere) and
    any wake-up that was lost."""
    return int(_closing(dispatch.dispatch))


@task(queue=QUEUE)
def deliver(webhook_id: int, shard: int) -> int:
    """Deliver one (webhook, shard)'s due deliveries, in order."""
    return int(_closing(lambda: delivery.deliver_shard(webhook_id, shard)))
