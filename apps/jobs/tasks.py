"""The queue's own upkeep: stalled jobs back in the queue, old finished jobs deleted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from procrastinate.exceptions import UniqueViolation

from apps.jobs.queue import app


@app.periodic(cron=settings.JOBS_STALLED_CHECK_CRON, periodic_id="retry_stalled_jobs")
@app.task(queue="default", queueing_lock="retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context: Any, timestamp: int) -> int:
    """Put back in the queue the jobs of workers that stopped sending heartbeats (killed,
    host lost): they run again from the start on another worker. Returns how many."""
    manager = context.app.job_manager
    # A worker's heartbeat comes every 10 s: one older than JOBS_STALLED_AFTER_SECONDS (30) is
    # a dead worker's.
    stalled = await manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.JOBS_STALLED_AFTER_SECONDS
    )
    for job in stalled:
        try:
            await manager.retry_job(job)
        except UniqueViolation:
            # Another job with its queueing lock is queued (a delivery asked for while this one
            # ran): the two may both wait, so this one gives up its queueing lock.
            await context.app.connector.execute_query_async(
                "UPDATE procrastinate_jobs SET queueing_lock = NULL WHERE id = %(id)s", id=job.id
            )
            await manager.retry_job(job)
    return len(list(stalled))


@app.periodic(cron="17 3 * * *", periodic_id="remove_old_jobs")
@app.task(queue="default", queueing_lock="remove_old_jobs", pass_context=True)
async def remove_old_jobs(context: Any, timestamp: int) -> None:
    """Finished jobs are kept a week for the admin, then deleted (failed ones stay)."""
    await context.app.job_manager.delete_old_jobs(nb_hours=7 * 24)


@app.task(queue="default", pass_context=False)
def ping(note: str = "") -> str:
    """A job that does nothing but succeed: `manage.py procrastinate defer apps.jobs.tasks.ping`
    checks that a worker is taking jobs."""
    return f"pong {note}".strip()
