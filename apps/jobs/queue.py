"""The task queue (DESIGN.md §9): procrastinate on the application's own PostgreSQL.

Any app defines tasks with `@task(...)` in its `tasks.py` (procrastinate's Django integration
imports every app's `tasks` module) and defers them with `task.defer(**kwargs)`. Deferring goes
through Django's connection, inside the caller's transaction: a job exists exactly when the
write that asked for it commits (no job for a rolled-back request, no write without its job).

Workers (`manage.py procrastinate worker`, `make run` starts one) fetch jobs with
`SELECT ... FOR UPDATE SKIP LOCKED`, so any number of them may run on any hosts against the
same database. A worker sends a heartbeat every 10 s; `retry_stalled_jobs` (every minute, run by
whichever worker takes it) puts the jobs of a worker silent for 30 s back in the queue. A task
must therefore be safe to run again from the start: the import tasks are (docs/SCALING.md).
"""

from __future__ import annotations

from typing import Any

from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

__all__ = ["MAX_ATTEMPTS", "app", "task"]

# A job that raised is retried this many times, 2, 4, 8, 16 and 32 s later (then it is
# `failed`, listed in the admin, where it can be retried by hand).
MAX_ATTEMPTS = 5
DEFAULT_RETRY = RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=2)


def task(**options: Any) -> Any:
    """`@app.task` with the house defaults (queue `default`, retried with backoff)."""
    options.setdefault("queue", "default")
    options.setdefault("retry", DEFAULT_RETRY)
    options.setdefault("pass_context", False)
    return app.task(**options)
