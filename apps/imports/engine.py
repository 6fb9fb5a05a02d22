"""The dry run and the commit of an import (DESIGN.md §9), row by row in chunks.

**Dry run** (`validate`): the file is read, its header checked, and every row validated by the
kind's write serializer against what is in the database now, matched by its natural key:
`create`, `update` (with the columns it changes), `unchanged`, or `error` (with
`[{field, code, message}]`). Nothing but the import's own rows is written. A row may name a row
above it in the same file (an org unit's parent).

**Commit** (`commit`): one transaction for the whole file. Every row is validated again (the
database may have changed since the dry run) and written through the kind's service, as the
API writes it, attributed to the user who committed and carrying the import's request id. All
or nothing: the first row that fails rolls everything back and the import is `failed`, naming
that row. Partial: each row in a savepoint; the rows that fail are reported and the others
commit. A worker killed mid-commit leaves nothing behind (the transaction dies with its
connection); the job runs again and commits once. Two runs of one commit never overlap (a
transaction-level advisory lock on the import).

Progress (`rows_done`) is written as each chunk ends: by the dry run in its own statements, by
the commit over a second connection (its own transaction is not visible until it ends).

Memory stays flat in the file's size: rows are read, checked and stored a chunk at a time;
what is kept for the whole file is one entry per key (duplicates) and per code the file
creates (references to rows above).
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from rest_framework import serializers
from rest_framework.exceptions import APIException

from apps.core import request_id as request_ids
from apps.core.capture import acting_as
from apps.core.codes import ErrorCode
from apps.core.exceptions import ProblemError
from apps.imports.files import (
    MAX_ROWS,
    PIECE_BYTES,
    FileProblem,
    Table,
    check_text,
    read_table,
)
from apps.imports.kinds import Checked, Key, Kind, Pending, flatten_errors, kind_for, row_serializer
from apps.imports.models import (
    Import,
    ImportFile,
    ImportMode,
    ImportRow,
    ImportState,
    RowAction,
)

CHUNK = 500
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

Progress = Callable[[int, int], None]


# --- the header ----------------------------------------------------------------------------------


# The columns an errors.csv adds (the row's number, its errors): a mended errors.csv is imported
# as it is, these read as nothing.
IGNORED_COLUMNS = ("row", "errors")


def check_header(kind: Kind, header: list[str]) -> None:
    """FileProblem for a header with unknown, repeated or missing columns."""
    repeated = sorted({c for c in header if header.count(c) > 1 and c})
    if repeated:
        raise FileProblem(
            f"The header repeats {', '.join(repeated)}: each column may appear once.",
            code=ErrorCode.DUPLICATE_COLUMNS,
            columns=repeated,
        )
    unknown = [c for c in header if c not in kind.columns and c not in IGNORED_COLUMNS]
    if unknown:
        shown = ", ".join(repr(c[:40]) if c else "(an empty name)" for c in unknown[:20])
        if len(unknown) > 20:
            shown += f" and {len(unknown) - 20} more"
        raise FileProblem(
            f"Unknown columns for {kind.name}: {shown}. The columns are: "
            f"{', '.join(kind.columns)} (GET imports/templates/{kind.name}.csv).",
            code=ErrorCode.UNKNOWN_COLUMNS,
            columns=[c[:40] for c in unknown[:100]],
            valid=list(kind.columns),
        )
    missing = [c for c in kind.required if c not in header]
    if missing:
        raise FileProblem(
            f"Missing columns for {kind.name}: {', '.join(missing)} (needed on every row).",
            code=ErrorCode.MISSING_COLUMNS,
            columns=missing,
            valid=list(kind.columns),
        )


def open_table(kind: Kind, content: bytes | Iterable[bytes], fmt: str) -> Table:
    """The file's table, its header checked (FileProblem otherwise)."""
    table = read_table(content, fmt)
    check_header(kind, table.header)
    return table


def check_upload(kind: Kind, content: bytes, fmt: str) -> None:
    """What the upload itself answers with a 400: an unreadable file, a bad header, no rows.
    A CSV is read through here (its encoding and its quoting, anywhere in it, are found at
    once); a workbook only to its first row (the worker reads the rest)."""
    if fmt == "csv":
        check_text(content)
        if not sum(1 for _ in open_table(kind, content, fmt).rows):
            raise FileProblem(
                "The file has a header but no rows: nothing to import.", code=ErrorCode.EMPTY_FILE
            )
        return
    table = open_table(kind, content, fmt)
    if next(table.rows, None) is None:
        raise FileProblem(
            "The file has a header but no rows: nothing to import.", code=ErrorCode.EMPTY_FILE
        )


# --- checking rows -------------------------------------------------------------------------------


class RowChecker:
    """Checks rows in file order, a chunk at a time, remembering across chunks the codes
    created above (references to rows of the file). Keys named twice in a file are found
    afterwards, in the database (`mark_duplicates`): nothing per row is kept in memory."""

    def __init__(self, kind: Kind, user: Any) -> None:
        self.kind = kind
        self.user = user
        self.created_codes: set[str] = set()
        self.same_kind = [r for r in kind.refs if r.same_kind]
        self.serializer = row_serializer(kind, refs={})
        self.date_columns = [
            name
            for name, f in self.serializer.fields.items()
            if isinstance(f, serializers.DateField) and name in kind.columns
        ]

    def chunk(
        self, rows: list[tuple[int, dict[str, str], list[dict[str, str]]]], *, dry_run: bool
    ) -> Iterator[Checked]:
        """Check (row number, values, read errors) rows; at commit the caller writes each
        row before the next one is checked (so a row sees those above it)."""
        values = [v for _, v, _ in rows]
        for row_values in values:
            self._iso_dates(row_values)
        refs = self.kind.lookups(self.user, values)
        for ref in self.same_kind:
            named = {v.get(ref.column, "").strip() for v in values} & self.created_codes
            for code in named:
                refs[ref.column].setdefault(code, Pending(code))
        self.refs = refs
        self.dry_run = dry_run
        self.serializer._context = {"refs": refs}
        existing = self.kind.existing([self.kind.key_of(v) for v in values])
        for number, row_values, read_errors in rows:
            checked = self._one(number, row_values, read_errors, existing)
            yield checked
            if checked.action == RowAction.CREATE and dry_run:
                self.remember(checked, None)

    def _iso_dates(self, values: dict[str, str]) -> None:
        """Dates as the serializer reads them, written back as YYYY-MM-DD: `20270405` and
        `2027-04-05` are one day, so they are one key (an append-only ledger entry imported
        twice in two spellings would be two entries). A cell the field refuses is left as it
        is, for its row's error."""
        for column in self.date_columns:
            cell = values.get(column, "")
            if cell and not ISO_DATE.match(cell):
                with contextlib.suppress(serializers.ValidationError, AttributeError):
                    values[column] = (
                        self.serializer.fields[column].to_internal_value(cell).isoformat()
                    )

    def remember(self, checked: Checked, created: Any) -> None:
        """A row was created (or, in a dry run, would be): rows below may name it."""
        for ref in self.same_kind:
            code = checked.data.get(ref.by)
            if code:
                self.created_codes.add(code)
                self.refs[ref.column][code] = created if created is not None else Pending(code)

    def _one(
        self,
        number: int,
        values: dict[str, str],
        read_errors: list[dict[str, str]],
        existing: dict[Key, Any],
    ) -> Checked:
        kind = self.kind
        key = kind.key_of(values)
        checked = Checked(action=RowAction.ERROR, key=kind.key_text(key))
        if read_errors:
            checked.errors = read_errors
            return checked
        missing = [
            c for c, part in zip(kind.key, key, strict=True) if not part and c in kind.required
        ]
        if missing:
            checked.errors = [
                {"field": c, "code": "required", "message": "Needed to match the row."}
                for c in missing
            ]
            return checked
        instance = existing.get(key)
        serializer = self.serializer
        serializer.instance = instance
        serializer.partial = instance is not None
        try:
            data = dict(serializer.run_validation(kind.input(values, serializer)))
        except serializers.ValidationError as exc:
            checked.errors = flatten_errors(exc.detail)
            return checked
        checked.data = data
        checked.instance = instance
        if instance is None:
            checked.action = RowAction.CREATE
        else:
            changes = kind.changes(instance, data)
            checked.data = changes
            checked.changed = sorted(changes)
            checked.action = RowAction.UPDATE if changes else RowAction.UNCHANGED
        # The rules run in the dry run (as simulate does); a commit's services run them again.
        if self.dry_run and checked.action != RowAction.UNCHANGED:
            self._check_rules(checked)
        return checked

    def _check_rules(self, checked: Checked) -> None:
        try:
            checked.violations = self.kind.violations(checked, self.user)
        except REFUSED as exc:  # what simulate refuses, the write would refuse
            checked.action, checked.errors = RowAction.ERROR, errors_of(exc)
            return
        blocking = [v for v in checked.violations if v.get("severity") == "error"]
        if blocking:
            checked.action = RowAction.ERROR
            checked.errors = [
                {
                    "field": "",
                    "code": ErrorCode.RULE_VIOLATION,
                    "message": "; ".join(
                        str(v.get("message", v.get("rule", ""))) for v in blocking
                    ),
                }
            ]


def _rows_of(
    table: Table, kind: Kind
) -> Iterator[tuple[int, dict[str, str], list[dict[str, str]]]]:
    width = len(table.header)
    for number, cells in table.rows:
        errors: list[dict[str, str]] = []
        extra = [c for c in cells[width:] if c]
        if extra:
            errors.append(
                {
                    "field": "",
                    "code": ErrorCode.TOO_MANY_CELLS,
                    "message": f"The row has {width + len(extra)} cells; the header names {width}.",
                }
            )
        padded = cells[:width] + [""] * (width - len(cells))
        values = {
            column: cell
            for column, cell in zip(table.header, padded, strict=True)
            if column not in IGNORED_COLUMNS
        }
        yield number, values, errors


def file_pieces(upload_id: int) -> Iterator[bytes]:
    """The uploaded file, read from the database a megabyte at a time (never whole)."""
    size = ImportFile.objects.filter(upload_id=upload_id).values_list("size", flat=True).get()
    with connection.cursor() as cursor:
        for offset in range(0, size, PIECE_BYTES):
            cursor.execute(
                "SELECT substring(content FROM %s FOR %s) FROM imports_importfile"
                " WHERE upload_id = %s",
                [offset + 1, PIECE_BYTES, upload_id],
            )
            (piece,) = cursor.fetchone()
            yield bytes(piece)


def _counts(rows: Iterator[Any]) -> int:
    return sum(1 for _ in rows)


# --- the dry run ---------------------------------------------------------------------------------


def validate(upload: Import, *, progress: Progress | None = None) -> Import:
    """The dry run of a queued (or interrupted) import; leaves it `validated` or `failed`."""
    claimed = Import.objects.filter(
        pk=upload.pk, state__in=(ImportState.QUEUED, ImportState.VALIDATING)
    ).update(state=ImportState.VALIDATING, rows_done=0)
    upload.refresh_from_db()
    if not claimed:
        return upload
    kind = kind_for(upload.kind)
    try:
        total = _counts(open_table(kind, file_pieces(upload.pk), upload.file_format).rows)
        if total > MAX_ROWS:
            raise FileProblem(
                f"The file holds {total:,} rows; an import takes at most {MAX_ROWS:,}. "
                "Split it into several files.",
                code=ErrorCode.TOO_MANY_ROWS,
            )
        table = open_table(kind, file_pieces(upload.pk), upload.file_format)
    except FileProblem as exc:
        return _fail(upload, str(exc.detail))
    ImportRow.objects.filter(upload=upload).delete()
    Import.objects.filter(pk=upload.pk).update(rows_total=total)
    checker = RowChecker(kind, upload.created_by)
    done = 0
    rows = _rows_of(table, kind)
    while chunk := list(itertools.islice(rows, CHUNK)):
        stored = [
            _stored(upload, number, values, checked)
            for (number, values, _), checked in zip(
                chunk, checker.chunk(chunk, dry_run=True), strict=True
            )
        ]
        ImportRow.objects.bulk_create(stored)
        done += len(chunk)
        Import.objects.filter(pk=upload.pk).update(rows_done=done)
        if progress:
            progress(done, total)
    mark_duplicates(upload, kind)
    counts: Counter[str] = Counter(
        dict(
            ImportRow.objects.filter(upload=upload)
            .values_list("action")
            .annotate(n=Count("id"))
            .values_list("action", "n")
        )
    )
    Import.objects.filter(pk=upload.pk).update(
        state=ImportState.VALIDATED,
        rows_done=done,
        created=counts[RowAction.CREATE],
        updated=counts[RowAction.UPDATE],
        unchanged=counts[RowAction.UNCHANGED],
        errors=counts[RowAction.ERROR],
        validated_at=timezone.now(),
    )
    upload.refresh_from_db()
    return upload


DUPLICATES_SQL = """
WITH keyed AS (
    SELECT id, row, min(row) OVER (PARTITION BY key) AS first
      FROM imports_importrow
     WHERE upload_id = %(upload)s AND key <> ''
)
UPDATE imports_importrow r
   SET action = 'error', changed = '[]'::jsonb, violations = '[]'::jsonb,
       errors = jsonb_build_array(jsonb_build_object(
           'field', %(field)s::text,
           'code', 'duplicate_key',
           'message', 'Row ' || k.first || ' has the same ' || %(columns)s::text || ' ('
                      || r.key || '): a file may name each once.'))
  FROM keyed k
 WHERE r.id = k.id AND k.row > k.first AND r.action <> 'error'
"""


def mark_duplicates(upload: Import, kind: Kind) -> None:
    """Every row whose key a row above it already names is an error (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            DUPLICATES_SQL,
            {
                "upload": upload.pk,
                "field": kind.key[0] if len(kind.key) == 1 else "",
                "columns": " / ".join(kind.key),
            },
        )


def _stored(upload: Import, number: int, values: dict[str, str], checked: Checked) -> ImportRow:
    return ImportRow(
        upload=upload,
        row=number,
        action=checked.action,
        key=checked.key[:255],
        values=values,
        changed=checked.changed,
        errors=checked.errors,
        violations=checked.violations,
    )


def _fail(upload: Import, message: str) -> Import:
    Import.objects.filter(pk=upload.pk).update(
        state=ImportState.FAILED, error=message, finished_at=timezone.now()
    )
    upload.refresh_from_db()
    return upload


# --- the commit ----------------------------------------------------------------------------------


class RowFailed(Exception):
    def __init__(self, row: ImportRow, errors: list[dict[str, str]]) -> None:
        self.row = row
        self.errors = errors


def errors_of(exc: Exception) -> list[dict[str, str]]:
    """What a service refused, as a row's errors."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return [
                {
                    "field": "" if name == "__all__" else name,
                    "code": e.code or "invalid",
                    "message": " ".join(e.messages),
                }
                for name, errors in exc.error_dict.items()
                for e in errors
            ]
        return [
            {"field": "", "code": e.code or "invalid", "message": " ".join(e.messages)}
            for e in exc.error_list
        ]
    if isinstance(exc, ProblemError) and exc.extra.get("errors"):
        return flatten_errors(exc.extra["errors"])
    if isinstance(exc, ProblemError) and exc.extra.get("violations"):
        blocking = [v for v in exc.extra["violations"] if v.get("severity") == "error"]
        return [
            {
                "field": "",
                "code": exc.code,
                "message": "; ".join(str(v.get("message", "")) for v in blocking)
                or str(exc.detail),
            }
        ]
    if isinstance(exc, APIException):
        code = str(getattr(exc, "code", "") or exc.default_code)
        if isinstance(exc.detail, dict | list):
            return flatten_errors(exc.detail)
        return [{"field": "", "code": code, "message": str(exc.detail)}]
    if isinstance(exc, IntegrityError):
        return [
            {
                "field": "",
                "code": ErrorCode.INTEGRITY_CONFLICT,
                "message": "The row conflicts with another one (a value that must be unique "
                "is taken, or a row it names is gone).",
            }
        ]
    return [
        {
            "field": "",
            "code": ErrorCode.INVALID_VALUE,
            "message": "A value is out of the range the database accepts.",
        }
    ]


REFUSED = (DjangoValidationError, APIException, IntegrityError, DataError)


class _CommitProgress:
    """rows_done of a running commit, written over a connection of its own (autocommit)."""

    def __init__(self, upload_id: int) -> None:
        self.upload_id = upload_id
        self.conn: Any = None

    def __call__(self, done: int) -> None:
        import psycopg

        try:
            if self.conn is None:
                params = dict(connection.get_connection_params())
                for unused in ("cursor_factory", "context"):
                    params.pop(unused, None)
                self.conn = psycopg.connect(**params, autocommit=True)
            self.conn.execute(
                "UPDATE imports_import SET rows_done = %s WHERE id = %s", [done, self.upload_id]
            )
        except psycopg.Error:  # progress is a courtesy: never a reason to fail the commit
            self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


@contextmanager
def _as_the_import(upload: Import, actor: Any) -> Iterator[None]:
    token = request_ids.set_current(upload.request_id or request_ids.get())
    try:
        with acting_as(actor, reason=f"import #{upload.pk} ({upload.kind}, {upload.filename})"):
            yield
    finally:
        request_ids.reset(token)


def commit(upload: Import, *, actor: Any = None, progress: Progress | None = None) -> Import:
    """Write a validated import whose commit was asked for (state `committing`)."""
    kind = kind_for(upload.kind)
    actor = actor if actor is not None else upload.created_by
    partial = upload.mode == ImportMode.PARTIAL
    writer = _CommitProgress(upload.pk)
    try:
        with transaction.atomic(), _as_the_import(upload, actor):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [7_501, upload.pk])
            upload.refresh_from_db()
            if upload.state != ImportState.COMMITTING:
                return upload
            counts = _commit_rows(upload, kind, actor, partial, writer, progress)
            Import.objects.filter(pk=upload.pk).update(
                state=ImportState.COMMITTED,
                rows_done=upload.rows_total,
                created=counts[RowAction.CREATE],
                updated=counts[RowAction.UPDATE],
                unchanged=counts[RowAction.UNCHANGED],
                errors=counts[RowAction.ERROR],
                finished_at=timezone.now(),
            )
    except RowFailed as failed:
        first = failed.errors[0] if failed.errors else {"message": "refused"}
        ImportRow.objects.filter(pk=failed.row.pk).update(
            action=RowAction.ERROR, errors=failed.errors
        )
        Import.objects.filter(pk=upload.pk).update(errors=1)
        return _fail(
            upload,
            f"Nothing was written: row {failed.row.row} was refused ({first['message']}). "
            "Mend it and import the file again, or commit with partial=true.",
        )
    finally:
        writer.close()
    upload.refresh_from_db()
    return upload


def _commit_rows(
    upload: Import,
    kind: Kind,
    actor: Any,
    partial: bool,
    writer: _CommitProgress,
    progress: Progress | None,
) -> Counter[str]:
    checker = RowChecker(kind, upload.created_by)
    batching = not partial and kind.batch_creates and not checker.same_kind
    counts: Counter[str] = Counter()
    done = 0
    last = 0
    while True:
        rows = list(ImportRow.objects.filter(upload=upload, row__gt=last).order_by("row")[:CHUNK])
        if not rows:
            return counts
        last = rows[-1].row
        todo: list[tuple[int, dict[str, str], list[dict[str, str]]]] = [
            (r.row, r.values, []) for r in rows if r.action != RowAction.ERROR
        ]
        by_number = {r.row: r for r in rows}
        changed: list[ImportRow] = []
        # All or nothing, a kind that creates many rows in one statement takes the chunk's new
        # rows at once (written after the chunk's updates; they name no row of the file).
        batched: list[tuple[ImportRow, Checked]] = []
        for (number, _, _), checked in zip(todo, checker.chunk(todo, dry_run=False), strict=True):
            row = by_number[number]
            if batching and not checked.errors and checked.action == RowAction.CREATE:
                batched.append((row, checked))
                continue
            errors = checked.errors or _write(kind, checked, actor, partial, checker)
            _settle(row, checked, errors, partial, changed)
        if batched:
            _create_batch(kind, batched, actor, checker)
            for row, checked in batched:
                _settle(row, checked, [], partial, changed)
        if changed:
            ImportRow.objects.bulk_update(changed, ["action", "errors", "changed", "violations"])
        counts.update(r.action for r in rows)
        done += len(rows)
        writer(done)
        if progress:
            progress(done, upload.rows_total)


def _settle(
    row: ImportRow,
    checked: Checked,
    errors: list[dict[str, str]],
    partial: bool,
    changed: list[ImportRow],
) -> None:
    """Record what the commit made of a row (kept for a bulk update when it differs from the
    dry run's: the database may have changed since); all or nothing, an error ends it all."""
    if errors:
        if not partial:
            raise RowFailed(row, errors)
        checked.action = RowAction.ERROR
    found = (checked.action, errors, checked.changed, checked.violations)
    if found != (row.action, row.errors, row.changed, row.violations):
        row.action, row.errors, row.changed, row.violations = found
        changed.append(row)


def _create_batch(
    kind: Kind, batched: list[tuple[ImportRow, Checked]], actor: Any, checker: RowChecker
) -> None:
    """Create the rows in one service call; if it is refused (in its own savepoint), create
    them one by one to name the row that is."""
    try:
        kind.create_many([checked.data for _, checked in batched], actor)
    except REFUSED:
        for row, checked in batched:
            errors = _write(kind, checked, actor, False, checker)
            if errors:
                raise RowFailed(row, errors) from None


def _write(
    kind: Kind, checked: Checked, actor: Any, partial: bool, checker: RowChecker
) -> list[dict[str, str]]:
    """Write one checked row through the kind's service; the errors it was refused with."""
    if checked.action == RowAction.UNCHANGED:
        return []
    try:
        with transaction.atomic() if partial else _nothing():
            if checked.action == RowAction.CREATE:
                created = kind.create(checked.data, actor)
                checker.remember(checked, created)
            else:
                kind.update(checked.instance, checked.data, actor)
    except REFUSED as exc:
        if isinstance(exc, ProblemError) and exc.extra.get("violations"):
            checked.violations = list(exc.extra["violations"])
        return errors_of(exc)
    return []


@contextmanager
def _nothing() -> Iterator[None]:
    yield


def mark_failed(upload_id: int, message: str) -> None:
    """An import whose job gave up (it raised on every attempt)."""
    Import.objects.filter(pk=upload_id).exclude(
        state__in=(ImportState.COMMITTED, ImportState.FAILED)
    ).update(state=ImportState.FAILED, error=message, finished_at=timezone.now())
