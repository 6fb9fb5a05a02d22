"""Reports as of an instant (DESIGN §7): the tables a report reads, as they were then.

The change log holds, for every tracked row, its state after each change (`Change.state`; none
after a delete). As of an instant T, a tracked table is the latest state of each of its rows
recorded at or before T; an append-only dated table (the hours ledger) is its rows dated at or
before T. A report's SQL reads those instead of the tables with no change to its text: each is a
common table expression named like the table it stands for, put in front of the query, and
PostgreSQL resolves an unqualified table name to a CTE of that name first.

`as_of(instant)` makes the block's reports read the past: `execute` (raw SQL of the report
selectors) and `rows` / `values_list` (the ORM queries that choose a report's keys) rewrite
their SQL while it is active, and leave it alone otherwise.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import Any

from django.db.models import Min, QuerySet

from apps.core.capture import tracked_models

_instant: ContextVar[dt.datetime | None] = ContextVar("as_of", default=None)
# Rows a report reads as if they were in a dated table (`supposing`): {table: [row as a dict]}.
_supposed: ContextVar[dict[str, list[dict[str, Any]]] | None] = ContextVar("supposed", default=None)

# Append-only tables whose rows carry the database's time of recording in `at`.
DATED_TABLES = ("offer_ledgerentry",)


def current() -> dt.datetime | None:
    """The instant reports read as of, or None for now."""
    return _instant.get()


def active() -> bool:
    """Whether reports read anything but the tables as they are now (`as_of`, `supposing`)."""
    return _instant.get() is not None or bool(_supposed.get())


@contextmanager
def as_of(instant: dt.datetime | None) -> Iterator[None]:
    """Reports inside the block read the tables as they were at `instant` (None: now)."""
    token = _instant.set(instant)
    try:
        yield
    finally:
        _instant.reset(token)


@contextmanager
def supposing(table: str, rows: list[dict[str, Any]]) -> Iterator[None]:
    """Reports inside the block read the dated table `table` (DATED_TABLES) as if `rows` were
    in it too: "what would coverage be with this ledger entry", by the report's own SQL and
    writing nothing. A row names the table's columns it sets; the others are NULL."""
    if table not in DATED_TABLES:
        raise ValueError(f"{table} is not a dated table")
    now = _supposed.get() or {}
    token = _supposed.set({**now, table: [*now.get(table, []), *rows]})
    try:
        yield
    finally:
        _supposed.reset(token)


def first_record() -> dt.datetime | None:
    """When the change log begins: nothing can be reported as of an earlier instant."""
    from apps.core.models import Change

    return Change.objects.aggregate(first=Min("at"))["first"]


@cache
def _replayed_tables() -> dict[str, str]:
    """{table: entity type} of every tracked table whose rows are entities of their own."""
    return {
        m._meta.db_table: m.audit_tracking.entity_type
        for m in tracked_models()
        if m.audit_tracking.id_column == "id" and not m.audit_tracking.member_of
    }


def _supposed_rows(table: str) -> str:
    """The rows `supposing` adds to `table`, as a set (bound to `coveris_supposed_<table>`)."""
    return (
        f" UNION ALL SELECT * FROM jsonb_populate_recordset(NULL::public.{table},"
        f" %(coveris_supposed_{table})s::jsonb)"
    )


def _cte(table: str, entity_type: str | None, placeholder: str) -> str:
    # MATERIALIZED: computed once; inlined, a report's joins would rebuild the records from
    # JSON at every row they touch. The record is built in FROM (LATERAL), once per row, not once
    # per column as `(jsonb_populate_record(...)).*` would.
    if entity_type is None:
        # Supposed rows are for the reports' raw SQL (named parameters), not the ORM's.
        named = placeholder.startswith("%(")
        extra = _supposed_rows(table) if named and table in (_supposed.get() or {}) else ""
        return (
            f"{table} AS MATERIALIZED (SELECT * FROM public.{table} WHERE at <= {placeholder}"
            f"{extra})"
        )
    return (
        f"{table} AS MATERIALIZED (SELECT r.* FROM (SELECT DISTINCT ON (entity_id) state"
        f" FROM core_change WHERE entity_type = '{entity_type}' AND at <= {placeholder}"
        " ORDER BY entity_id, id DESC) c"
        f" CROSS JOIN LATERAL jsonb_populate_record(NULL::public.{table}, c.state) r"
        " WHERE c.state IS NOT NULL)"
    )


def rewrite(sql: str, placeholder: str) -> tuple[str, int]:
    """`sql` reading every table it names as of the instant bound to `placeholder`, and how many
    times the placeholder occurs in what was put in front."""
    tables: dict[str, str | None] = {**_replayed_tables(), **dict.fromkeys(DATED_TABLES)}
    used = [t for t in tables if re.search(rf'(?<![\w.]){t}(?!\w)|"{t}"', sql)]
    if not used:
        return sql, 0
    ctes = ",\n".join(_cte(t, tables[t], placeholder) for t in used)
    stripped = sql.lstrip()
    if stripped[:5].upper() == "WITH ":
        return f"WITH {ctes},\n{stripped[5:]}", len(used)
    return f"WITH {ctes}\n{stripped}", len(used)


def _supposing(sql: str) -> tuple[str, dict[str, Any]]:
    """`sql` reading the rows `supposing` adds (now, not as of an instant), and its params."""
    supposed = _supposed.get() or {}
    used = [t for t in supposed if re.search(rf'(?<![\w.]){t}(?!\w)|"{t}"', sql)]
    if not used:
        return sql, {}
    ctes = ",\n".join(
        f"{t} AS MATERIALIZED (SELECT * FROM public.{t}{_supposed_rows(t)})" for t in used
    )
    stripped = sql.lstrip()
    if stripped[:5].upper() == "WITH ":
        sql = f"WITH {ctes},\n{stripped[5:]}"
    else:
        sql = f"WITH {ctes}\n{stripped}"
    return sql, {f"coveris_supposed_{t}": json.dumps(supposed[t], default=str) for t in used}


def execute(cursor: Any, sql: str, params: dict[str, Any]) -> None:
    """Run a report's SQL (named parameters), as of the current instant when there is one, with
    the rows `supposing` adds when there are any."""
    instant = current()
    if instant is None:
        sql, extra = _supposing(sql)
        cursor.execute(sql, {**params, **extra})
        return
    rewritten, _ = rewrite(sql, "%(coveris_as_of)s")
    extra = {
        f"coveris_supposed_{t}": json.dumps(rows, default=str)
        for t, rows in (_supposed.get() or {}).items()
        if f"coveris_supposed_{t}" in rewritten
    }
    cursor.execute(rewritten, {**params, **extra, "coveris_as_of": instant})


def _compiled(queryset: QuerySet[Any]) -> tuple[str, list[Any]]:
    sql, params = queryset.query.sql_with_params()
    instant = current()
    if instant is None:
        return sql, list(params)
    rewritten, n = rewrite(sql, "%s")
    return rewritten, [instant] * n + list(params)


def rows(queryset: QuerySet[Any]) -> list[Any]:
    """The queryset's model instances, read as of the current instant when there is one."""
    if current() is None:
        return list(queryset)
    sql, params = _compiled(queryset)
    return list(queryset.model._default_manager.raw(sql, params))


def values_list(queryset: QuerySet[Any]) -> list[Any]:
    """The first column of each row of `queryset.values_list(...)`, as of the instant."""
    if current() is None:
        return list(queryset)
    sql, params = _compiled(queryset)
    with _connection(queryset).cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _connection(queryset: QuerySet[Any]) -> Any:
    from django.db import connections

    return connections[queryset.db]
