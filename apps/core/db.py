"""Which database a report read goes to: read-only report traffic may go to a replica, everything
else to the primary (DESIGN.md section 3). The router that applies it is config.db_router.

Report endpoints (coverage, supply, candidates, audit-log reads) run inside `report_reads()`.
While it is active, and only outside a transaction, reads of domain models go to the
"replica" database when one is configured. Writes, `select_for_update`, every read inside a
transaction (a transition reads its own writes) and accounts, tokens and the cache always use
the primary.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from django.conf import settings
from django.db import connections

_report_reads: ContextVar[bool] = ContextVar("report_reads", default=False)


@contextmanager
def report_reads() -> Iterator[None]:
    """Within this block, report reads may be served by the replica."""
    token = _report_reads.set(True)
    try:
        yield
    finally:
        _report_reads.reset(token)


def replica_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Decorator for a report view (function or method)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with report_reads():
            return view(*args, **kwargs)

    return wrapper


def read_alias() -> str:
    """The alias for a report read now: the replica inside `report_reads()` when configured and
    no transaction is open on the primary; the primary otherwise."""
    if (
        _report_reads.get()
        and "replica" in settings.DATABASES
        and not connections["default"].in_atomic_block
    ):
        return "replica"
    return "default"


@contextmanager
def snapshot_reads() -> Iterator[None]:
    """Within this block, every read of the report database sees one snapshot (a REPEATABLE
    READ, READ ONLY transaction): a report read in batches (a streamed CSV) is consistent
    across its batches. Inside an open transaction (a test's, say) the block just runs."""
    from django.db import transaction

    alias = read_alias()
    connection = connections[alias]
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=alias):
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield
