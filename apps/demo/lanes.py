"""Writing the demo's bulk on more than one database connection at once.

Almost all of a large seed's time is spent in PostgreSQL's change-capture and event triggers,
one call chain per row (apps/core/capture.py), on one server process per connection. `Lanes`
runs the seed's chunks on `count` threads, each with its own connection and each chunk in its
own transaction, while the calling thread prepares the next chunks: the server's work spreads
over the machine's cores and overlaps the Python.

A chunk always goes to the lane its caller names, and a lane runs its chunks one after the
other, in order: rows that extend one chain (an employee's ledger entries, a subject's tag
changes) go to the same lane, so they are written in the order their hashes were chained.

With one lane, or when the caller holds a transaction open (whose uncommitted rows another
connection could not see, as in a test), every chunk runs at once on the caller's connection
instead, inside that transaction (a savepoint each).
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from django.db import connection, transaction

_STOP = object()


class Lanes:
    def __init__(self, count: int) -> None:
        self.inline = count <= 1 or connection.in_atomic_block
        self.count = 1 if self.inline else count
        self._queues: list[queue.Queue[Any]] = []
        self._threads: list[threading.Thread] = []
        self._errors: list[BaseException] = []

    def __enter__(self) -> Lanes:
        if not self.inline:
            for _ in range(self.count):
                # A bounded queue: the caller never runs more than two chunks ahead of a lane.
                q: queue.Queue[Any] = queue.Queue(maxsize=2)
                # The caller's context (who acts, for the capture triggers) goes along.
                context = contextvars.copy_context()
                thread = threading.Thread(target=context.run, args=(self._work, q), daemon=True)
                thread.start()
                self._queues.append(q)
                self._threads.append(thread)
        return self

    def submit(self, lane: int, job: Callable[[], None]) -> None:
        """Run `job` in its own transaction on lane `lane % count`, after that lane's earlier
        jobs."""
        if self.inline:
            with transaction.atomic():
                job()
            return
        self._raise()
        self._queues[lane % self.count].put(job)

    def _work(self, jobs: queue.Queue[Any]) -> None:
        try:
            while (job := jobs.get()) is not _STOP:
                if self._errors:
                    continue  # drain: another lane failed
                try:
                    with transaction.atomic():
                        job()
                except BaseException as exc:  # re-raised in the caller
                    self._errors.append(exc)
        finally:
            connection.close()

    def _raise(self) -> None:
        if self._errors:
            raise self._errors[0]

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None:
            self._errors.append(exc)  # tell the lanes to skip what is queued
        for q in self._queues:
            q.put(_STOP)
        for thread in self._threads:
            thread.join()
        if exc is None:
            self._raise()


class Tally:
    """A progress line counted from every lane: `template` may name {done}, {total}, {rows}."""

    def __init__(self, say: Callable[[str], None], template: str, total: int) -> None:
        self.say, self.template, self.total = say, template, total
        self.done = self.rows = 0
        self._lock = threading.Lock()

    def add(self, done: int, rows: int = 0) -> None:
        with self._lock:
            self.done += done
            self.rows += rows
            self.say(self.template.format(done=self.done, total=self.total, rows=self.rows))
