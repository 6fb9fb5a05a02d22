"""Change capture: who is changing the data, told to the database triggers that record it.

Every tracked table (a model with `audit_entity`, see `tracked_models`) carries the trigger
`coveris_capture` (apps/core/migrations/0002_change_log.py). For every row inserted, updated or
deleted, by the ORM, `QuerySet.update()`, `bulk_create` or raw SQL alike, it appends the next link
of the entity's chain to `core_change`, with the field-level differences, the database's clock,
and the actor, request id and reason it reads from three transaction-local settings
(`coveris.actor`, `coveris.request_id`, `coveris.reason`).

This module sets those settings: an execute wrapper on every connection runs
`SELECT set_config(...)` before each statement that can write, from

- the request being served (its authenticated user and its X-Request-ID), or
- `acting_as(user, reason=...)`, for services, commands and jobs (it wins over the request).

Why not django-pghistory / django-pgtrigger: see docs/ARCHITECTURE.md "Change capture".
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from apps.core import request_id

# The previous hash of every chain's first link: the change log's and every HashChainedLog's.
GENESIS = "0" * 64

# What is being served: an HttpRequest, whose `user` is read when a write happens (DRF
# authenticates inside the view, after the middleware has run).
_request: ContextVar[Any] = ContextVar("capture_request", default=None)
# Set by acting_as: (actor id or None, reason), or None to read the request.
_acting: ContextVar[tuple[int | None, str] | None] = ContextVar("capture_acting", default=None)

_READ_ONLY = ("SELECT", "SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN", "SET", "SHOW")
_SET_CONTEXT = (
    "SELECT set_config('coveris.actor', %s, false), set_config('coveris.request_id', %s, false),"
    " set_config('coveris.reason', %s, false)"
)


# Not a fact of its own: when a row changed is the change's `at`.
ALWAYS_EXCLUDED = ("updated_at",)


@dataclass(frozen=True)
class Tracking:
    """How one model's rows are recorded: as `entity_type`, their id in `id_column`, in the
    history of `subject_type`/`subject_column` (themselves, when empty), without `exclude`d
    columns (nor `updated_at`). `member_of`: the row is one value (`value_column`) of a
    multi-valued field of the entity (a manager's scope is a field of the user); its rows are
    recorded as updates."""

    entity_type: str
    id_column: str = "id"
    subject_type: str = ""
    subject_column: str = ""
    exclude: tuple[str, ...] = ()
    member_of: str = ""
    value_column: str = ""

    def trigger_args(self) -> tuple[str, ...]:
        return (
            self.entity_type,
            self.id_column,
            self.subject_type or self.entity_type,
            self.subject_column or self.id_column,
            ",".join(ALWAYS_EXCLUDED + self.exclude),
            self.member_of,
            self.value_column,
        )


BASELINE_REASON = "recorded when change capture was installed"


def baseline_sql(table: str, tracking: Tracking) -> str:
    """SQL that records every row `table` holds as created (a migration writes it out after
    installing the trigger, so that the record starts complete)."""
    args = [
        f"'{a}'" if i != 4 else f"'{{{a}}}'::text[]" for i, a in enumerate(tracking.trigger_args())
    ]
    return (
        f"SELECT set_config('coveris.reason', '{BASELINE_REASON}', true);"
        f" SELECT coveris_record_change({', '.join(args)}, 'INSERT', NULL, to_jsonb(t))"
        f" FROM {table} t ORDER BY t.{tracking.id_column};"
    )


def trigger_sql(table: str, tracking: Tracking) -> tuple[str, str]:
    """(install, remove) SQL of the capture trigger on `table`, for a migration to write out."""
    args = ", ".join("'" + a.replace("'", "''") + "'" for a in tracking.trigger_args())
    name = f"{table}_capture"
    return (
        f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION coveris_capture({args});",
        f"DROP TRIGGER IF EXISTS {name} ON {table};",
    )


def tracked_models() -> list[Any]:
    """Every model whose rows are captured (they declare `audit_tracking`), in a stable order."""
    from django.apps import apps

    found = [
        m
        for m in apps.get_models()
        if getattr(m, "audit_tracking", None) is not None and not m._meta.proxy
    ]
    return sorted(found, key=lambda m: m._meta.label)


@contextmanager
def acting_as(actor: Any, reason: str = "") -> Iterator[None]:
    """Attribute the writes inside the block to `actor` (a user, an id or None), with `reason`."""
    actor_id = getattr(actor, "pk", actor)
    token = _acting.set((int(actor_id) if actor_id is not None else None, reason))
    try:
        yield
    finally:
        _acting.reset(token)


def serving(request: Any) -> object:
    """Make `request` the one being served (the request id middleware); a token for `done`."""
    return _request.set(request)


def done(token: object) -> None:
    _request.reset(token)  # type: ignore[arg-type]


def _request_actor() -> int | None:
    request = _request.get()
    if request is None:
        return None
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def current() -> tuple[str, str, str]:
    """(actor id, request id, reason) as the settings carry them ("" when unknown)."""
    acting = _acting.get()
    if acting is not None:
        actor, reason = acting
    else:
        actor, reason = _request_actor(), ""
    return ("" if actor is None else str(actor), request_id.get(), reason)


def _writes(sql: Any) -> bool:
    head = str(sql).lstrip()[:9].upper()
    return not head.startswith(_READ_ONLY)


# Callbacks told after a transaction that wrote to one of their tables commits (registered by
# higher apps: the event dispatcher is woken this way), and the statement's table.
_commit_watchers: list[tuple[frozenset[str], Callable[[], None]]] = []
_WRITTEN_TABLE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)
_telling: ContextVar[bool] = ContextVar("capture_telling", default=False)


def on_commit_of_writes(tables: frozenset[str] | set[str], callback: Callable[[], None]) -> None:
    """Call `callback` once after each transaction that wrote to any of `tables` commits (right
    after the statement, for one outside a transaction). Writes the callback makes itself do
    not call it again."""
    _commit_watchers.append((frozenset(tables), callback))


def _tell(callback: Callable[[], None]) -> None:
    token = _telling.set(True)
    try:
        callback()
    finally:
        _telling.reset(token)


def _watch(sql: Any, connection: Any) -> None:
    if _telling.get():
        return
    match = _WRITTEN_TABLE.match(str(sql))
    if match is None:
        return
    table = match.group(1).lower()
    for tables, callback in _commit_watchers:
        if table not in tables:
            continue
        if not connection.in_atomic_block:
            _tell(callback)
            continue
        pending = (getattr(entry[1], "coveris_watch", None) for entry in connection.run_on_commit)
        if callback not in pending:  # once per transaction
            told = functools.partial(_tell, callback)
            told.coveris_watch = callback  # type: ignore[attr-defined]
            transaction.on_commit(told, using=connection.alias)


def set_context(execute: Any, sql: Any, params: Any, many: bool, context: dict[str, Any]) -> Any:
    """The execute wrapper: before a statement that can write, tell the triggers who acts.

    The settings are the session's (a transaction-local one set in autocommit mode would end
    with its own statement), set before every write, so a value never outlives its context.
    Set outside a transaction, they cannot be rolled back, so the connection remembers them and
    does not repeat an unchanged set; inside one, a rollback may undo them, so they are always
    set."""
    if _writes(sql):
        values = current()
        connection = context["connection"]
        if connection.in_atomic_block:
            context["cursor"].cursor.execute(_SET_CONTEXT, values)
            connection.coveris_capture_context = None
        elif getattr(connection, "coveris_capture_context", None) != values:
            context["cursor"].cursor.execute(_SET_CONTEXT, values)
            connection.coveris_capture_context = values
        result = execute(sql, params, many, context)
        if _commit_watchers:
            _watch(sql, context["connection"])
        return result
    return execute(sql, params, many, context)


def install(connection: BaseDatabaseWrapper, **_: Any) -> None:
    """connection_created receiver: add the wrapper once per connection object (a new
    connection starts with no settings)."""
    connection.coveris_capture_context = None  # type: ignore[attr-defined]
    if connection.vendor == "postgresql" and set_context not in connection.execute_wrappers:
        connection.execute_wrappers.append(set_context)


def link_hash(prev_hash: str, fields: tuple[str, ...]) -> str:
    """The change row's hash as the trigger computes it: sha-256 over the previous hash, a
    newline and each field length-prefixed (`<length>:<text>;`), so no field can borrow
    characters from the next."""
    payload = "".join(f"{len(value)}:{value};" for value in fields)
    return hashlib.sha256(f"{prev_hash}\n{payload}".encode()).hexdigest()


def verify_changes(progress: Callable[[int], None] | None = None) -> dict[str, Any]:
    """{ok, checked, first_broken} over every entity's chain in the change log: each row's hash
    recomputed from its columns (an edit behind the triggers' back changes it), each row's
    `prev_hash` the hash of the entity's row before (a removed row breaks it)."""
    from django.db.models import TextField
    from django.db.models.functions import Cast

    from apps.core.models import Change

    checked = 0
    current_key: Any = None
    expected_prev = GENESIS
    rows = (
        Change.objects.annotate(
            changes_text=Cast("changes", TextField()), state_text=Cast("state", TextField())
        )
        .order_by("entity_type", "entity_id", "id")
        .iterator(chunk_size=2000)
    )
    for row in rows:
        key = (row.entity_type, row.entity_id)
        if key != current_key:
            current_key, expected_prev = key, GENESIS
        checked += 1
        texts = (row.changes_text, row.state_text)  # type: ignore[attr-defined]
        recomputed = link_hash(row.prev_hash, row.hashed_fields(*texts))
        if row.prev_hash != expected_prev or recomputed != row.hash:
            return {
                "ok": False,
                "checked": checked,
                "first_broken": {
                    "table": Change._meta.db_table,
                    "id": row.pk,
                    "subject": list(key),
                },
            }
        expected_prev = row.hash
        if progress and checked % 10_000 == 0:
            progress(checked)
    return {"ok": True, "checked": checked, "first_broken": None}


def attributed(func: Callable[..., Any]) -> Callable[..., Any]:
    """A service that takes `actor` (and `reason`) keywords: what it writes is attributed to them
    in the change log, as inside a request, also when a command, a job or a test calls it."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = kwargs.get("actor")
        if getattr(actor, "pk", None) is None:
            return func(*args, **kwargs)
        with acting_as(actor, kwargs.get("reason") or ""):
            return func(*args, **kwargs)

    return wrapper
