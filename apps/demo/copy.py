"""`copy_create`: bulk_create through PostgreSQL's COPY, for the demo's large seeds.

Django's bulk_create spends most of a large seed's Python time turning each value into a
parameter and the rows into arrays; COPY takes the rows as they are. The ids are taken from the
table's own sequence first (one query), so that the objects carry their primary keys afterwards,
as after bulk_create. COPY fires every row trigger as INSERT does: the change capture, the
events and the checks see the same rows. It does not pass Django's execute wrappers, so a write
that changes nothing (`UPDATE ... WHERE false`) goes through them first, on the same table in the
same transaction: apps.core.capture.set_context then sets the actor, request id and reason the
capture triggers read, and tells the commit watchers (the event dispatcher's wake-up) that the
table is written, exactly as for any other write.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, connections, models
from django.db.models.expressions import DatabaseDefault


def copy_create(model: type[Any], objs: Sequence[Any]) -> Sequence[Any]:
    """Insert `objs` (unsaved instances of `model`) with COPY; returns them, ids set."""
    if not objs:
        return objs
    meta = model._meta
    table = meta.db_table
    pk = meta.pk
    # A column left to its database default (db_default) is left out, as INSERT leaves it.
    fields = [
        f
        for f in meta.concrete_fields
        if not isinstance(getattr(objs[0], f.attname, None), DatabaseDefault)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, pk.column, len(objs)],
        )
        for obj, (pk_value,) in zip(objs, cursor.fetchall(), strict=True):
            obj.pk = pk_value
        rows = _rows(objs, fields)
        quoted, key = connection.ops.quote_name(table), connection.ops.quote_name(pk.column)
        cursor.execute(f"UPDATE {quoted} SET {key} = {key} WHERE false")  # the wrappers' turn
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {quoted} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


# Fields whose Python value psycopg takes as it is (on PostgreSQL, Django's get_db_prep_save
# returns these values unchanged); any other field goes through get_db_prep_save.
_AS_IS = (
    models.AutoField,
    models.BigAutoField,
    models.BooleanField,
    models.CharField,
    models.DateField,  # DateTimeField too
    models.DecimalField,
    models.ForeignKey,
    models.IntegerField,  # and its small, big and positive kinds
    models.TextField,
)


def _rows(objs: Sequence[Any], fields: list[Any]) -> list[tuple[Any, ...]]:
    """Each object's column values, converted once per field kind, not per value through the
    connection proxy (the seed's hottest Python)."""
    db = connections[connection.alias]  # this thread's connection itself, looked up once
    plans = []
    for f in fields:
        stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        plans.append((f, f.attname, stamped, isinstance(f, _AS_IS)))
    rows = []
    for obj in objs:
        row = []
        for f, attname, stamped, as_is in plans:
            value = f.pre_save(obj, True) if stamped else getattr(obj, attname)
            row.append(value if as_is or value is None else f.get_db_prep_save(value, db))
        rows.append(tuple(row))
    return rows
