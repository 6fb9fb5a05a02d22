"""Database routing: read-only report traffic may go to a replica, everything else to the
primary (DESIGN.md section 3).

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

# Apps whose data reports read; accounts, tokens, sessions and the cache stay on the primary.
REPORT_APPS = frozenset(
    {"org", "fsm", "assignments", "business_rules", "offer", "demand", "tags", "audit_log"}
)


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


class PrimaryReplicaRouter:
    """Django database router implementing the rule above for ORM queries."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if model._meta.app_label in REPORT_APPS:
            return read_alias()
        return "default"

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
