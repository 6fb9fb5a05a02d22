"""Results kept under a data version: correct the moment any input commits, never stale by a clock.

A *data version* names a set of tables (the coverage SQL's, say: apps/demand/migrations/
0005_coverage_version.py). Every transaction that writes one of them replaces a slot's random
token in `core_dataversion` as it commits — a deferred trigger, inside the writing transaction,
so the new token and the new rows become visible together (apps/core/migrations/
0005_data_version.py). The tokens of a name, read in one statement, are its version.

`VersionedResults.get(key, compute)` answers a report:
1. It reads the version (one small query) and whether this transaction has written one of the
   tables itself (`coveris.dirty_<name>`, set by a statement trigger): then, and inside an as-of
   or `supposing` read, it computes and keeps nothing — the result of the committed state
   would be wrong here.
2. A result kept under the current version for this key is the answer (a hit).
3. Otherwise it computes the result in a REPEATABLE READ snapshot whose first read is the
   version again, so the kept result is exactly the state that version names, and keeps it.
   Inside a transaction it cannot choose the snapshot of, it computes and keeps nothing.
   Concurrent misses of one key in a worker compute once (the others wait for the first).

Results are kept per worker process (no serialisation, no network), least recently used first
out, up to `max_rows` rows; a result larger than `max_entry_rows` is never kept. Results of
older versions are never hit again and age out. `settings.<setting>` false turns it all off.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from django.conf import settings
from django.db import connections, transaction
from django.db.models import QuerySet

from apps.core import asof

VERSION_SQL = """
SELECT (SELECT string_agg(token::text, ',' ORDER BY id) FROM core_dataversion WHERE name = %s),
       current_setting(%s, true)
"""

_STRIPES = 64
_REGISTERED: list[VersionedResults[Any]] = []
# The tables a compiled query reads: every name after FROM or JOIN, subqueries' too.
_TABLE_NAMES = re.compile(r'\b(?:FROM|JOIN)\s+"?([A-Za-z0-9_]+)"?')


class VersionedResults[T]:
    """Results of one data version's reports, kept per process (see the module's text)."""

    def __init__(
        self,
        name: str,
        *,
        setting: str,
        tables: Sequence[str] = (),
        max_rows: int = 100_000,
        max_entry_rows: int = 50_000,
    ) -> None:
        self.name = name
        self.setting = setting
        # The tables whose writes change the version (the triggers' list): a count of a query
        # reading only these may be kept under it too (`kept_count`).
        self.tables = frozenset(tables)
        _REGISTERED.append(self)
        self.max_rows = max_rows
        self.max_entry_rows = max_entry_rows
        self._entries: OrderedDict[tuple[str, Hashable], tuple[T, ...]] = OrderedDict()
        self._rows = 0
        self._lock = threading.Lock()
        self._flights = [threading.Lock() for _ in range(_STRIPES)]
        self.hits = 0
        self.misses = 0

    # -- reading -----------------------------------------------------------------------------

    def version(self, using: str) -> tuple[str | None, bool]:
        """(the current version, or None while the name has no slot; whether this transaction
        wrote one of the name's tables)."""
        with connections[using].cursor() as cursor:
            cursor.execute(VERSION_SQL, [self.name, f"coveris.dirty_{self.name}"])
            version, dirty = cursor.fetchone()
        return version, dirty == "on"

    def get(self, key: Hashable, compute: Callable[[], Sequence[T]], *, using: str) -> list[T]:
        if not getattr(settings, self.setting) or asof.active():
            return list(compute())
        version, dirty = self.version(using)
        if dirty or version is None:
            return list(compute())
        kept = self._lookup(version, key)
        if kept is not None:
            return list(kept)
        if connections[using].in_atomic_block:
            return list(compute())
        with self._flights[hash(key) % _STRIPES]:
            with transaction.atomic(using=using):
                with connections[using].cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                version, _ = self.version(using)
                # Another thread of this worker may have computed it while this one waited.
                kept = self._lookup(version, key) if version is not None else None
                if kept is not None:
                    return list(kept)
                rows = tuple(compute())
            if version is not None:
                self._store(version, key, rows)
            return list(rows)

    # -- keeping -----------------------------------------------------------------------------

    def _lookup(self, version: str, key: Hashable) -> tuple[T, ...] | None:
        with self._lock:
            kept = self._entries.get((version, key))
            if kept is None:
                self.misses += 1
                return None
            self._entries.move_to_end((version, key))
            self.hits += 1
            return kept

    def _store(self, version: str, key: Hashable, rows: tuple[T, ...]) -> None:
        if len(rows) > self.max_entry_rows:
            return
        with self._lock:
            old = self._entries.pop((version, key), None)
            if old is not None:
                self._rows -= max(len(old), 1)
            self._entries[(version, key)] = rows
            self._rows += max(len(rows), 1)
            while self._rows > self.max_rows and self._entries:
                _, evicted = self._entries.popitem(last=False)
                self._rows -= max(len(evicted), 1)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._rows = 0
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


def freeze(value: Any) -> Hashable:
    """A hashable key from report parameters (dicts, lists, dates, numbers, strings)."""
    if isinstance(value, dict):
        return tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        return tuple(freeze(v) for v in value)
    return value  # type: ignore[no-any-return]


def kept_count(queryset: QuerySet[Any]) -> int | None:
    """The number of rows of `queryset`, kept under the data version whose tables are all it
    reads (a list's page count: an exact COUNT(*) grows with the table, the page does not), or
    None when no version covers every table it reads."""
    if connections[queryset.db].in_atomic_block:
        # Inside a transaction nothing could be kept, and the count may include its writes.
        return None
    try:
        sql, params = queryset.query.sql_with_params()
    except Exception:  # an empty filter (EmptyResultSet): let the caller count as usual
        return None
    tables = set(_TABLE_NAMES.findall(sql))
    for results in _REGISTERED:
        if tables and tables <= results.tables:
            rows = results.get(
                ("count", sql, freeze(params)), lambda: (queryset.count(),), using=queryset.db
            )
            return int(rows[0])
    return None
