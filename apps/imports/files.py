"""Reading an uploaded table: CSV (UTF-8 with or without BOM, `,` or `;`) or XLSX (the first
sheet), as a header and rows of text cells. Whatever is wrong with a file as a whole is a
`FileProblem` (a 400 at upload) that says what and where; what is wrong with one row is that
row's error, found later.

- CSV is decoded strictly: a byte that is not UTF-8 names its line and suggests "CSV UTF-8".
- XLSX is a zip: its entries' sizes are read from the zip directory before anything is
  unpacked, and a workbook that would unpack past `XLSX_MAX_UNPACKED_BYTES`, or more than
  `XLSX_MAX_RATIO` times its own size (a zip bomb), is refused. The XML inside is parsed by
  openpyxl through defusedxml (no entity expansion). Formulas are read as their text, never
  evaluated: `=SUM(A1:A3)` is the string `=SUM(A1:A3)`.
- A cell that an export neutralised (a leading `'` before `=`, `+`, `-`, `@`: see
  apps.core.renderers.csv_cell) is read back without that quote, so export → import is a round
  trip.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from apps.core.codes import ErrorCode
from apps.core.exceptions import ProblemError

XLSX_MAX_UNPACKED_BYTES = 200 * 1024 * 1024
XLSX_MAX_RATIO = 100
# A cell longer than this is a broken file, not data (csv's own default is 128 KiB).
MAX_CELL_CHARS = 10_000
# The most data rows an import takes, and the widest sheet read (no kind has a tenth of it).
MAX_ROWS = 200_000
MAX_COLUMNS = 1_000
FORMATS = ("csv", "xlsx")
_NEUTRALISED = ("'=", "'+", "'-", "'@", "'\t", "'\r")
_ZIP_MAGIC = b"PK\x03\x04"


class FileProblem(ProblemError):
    """The file as a whole cannot be imported (400)."""


@dataclass
class Table:
    """The header (column names, trimmed and lower-cased) and an iterator of (row number,
    cells) where the header is row 1; rows whose cells are all empty are skipped."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]


def file_format(filename: str, content: bytes) -> str:
    """ "csv" or "xlsx", from the content (a zip is a workbook) and else the name."""
    if content.startswith(_ZIP_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        return "xlsx"
    if filename.lower().endswith((".xls", ".ods", ".numbers")):
        raise FileProblem(
            f"{filename!r} is not a format Coveris reads: save it as CSV UTF-8 or as .xlsx.",
            code=ErrorCode.UNSUPPORTED_FILE,
        )
    return "csv"


PIECE_BYTES = 1024 * 1024


def pieces_of(content: bytes) -> Iterator[bytes]:
    """`content` a megabyte at a time (views, not copies)."""
    view = memoryview(content)
    for start in range(0, len(view), PIECE_BYTES):
        yield bytes(view[start : start + PIECE_BYTES])


def check_text(content: bytes) -> None:
    """FileProblem if a CSV is not UTF-8 anywhere, or holds a NUL (read through, nothing kept)."""
    for _ in _text_lines(pieces_of(content)):
        pass


def read_table(content: bytes | Iterable[bytes], fmt: str) -> Table:
    """The table in `content` (the file, or its bytes piece by piece: a worker reads it from
    the database a megabyte at a time); FileProblem when it cannot be read or holds no header."""
    pieces = pieces_of(bytes(content)) if isinstance(content, bytes | bytearray) else content
    rows = _csv_rows(pieces) if fmt == "csv" else _xlsx_rows(pieces)
    for _number, cells in rows:
        if not any(c.strip() for c in cells):
            continue  # blank lines before the header
        header = [c.strip().lstrip("\ufeff").strip().lower() for c in cells]
        while header and not header[-1]:
            header.pop()
        return Table(header=header, rows=_data_rows(rows))
    raise FileProblem("The file is empty: it has no header row.", code=ErrorCode.EMPTY_FILE)


def _data_rows(rows: Iterator[tuple[int, list[str]]]) -> Iterator[tuple[int, list[str]]]:
    for number, cells in rows:
        if any(c.strip() for c in cells):
            yield number, [_literal(c) for c in cells]


def _literal(cell: str) -> str:
    cell = cell.strip()
    return cell[1:] if cell.startswith(_NEUTRALISED) else cell


def _csv_rows(pieces: Iterable[bytes]) -> Iterator[tuple[int, list[str]]]:
    lines = _text_lines(pieces)
    first_line = next(lines, "")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(itertools.chain([first_line], lines), delimiter=delimiter, strict=True)
    return _checked_csv(reader)


def _text_lines(pieces: Iterable[bytes]) -> Iterator[str]:
    """The file's lines (ends kept), decoded as UTF-8 (a leading BOM dropped) one piece at a
    time: nothing but the current piece and line is held."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
    seen_lines = 1
    carry = ""
    for piece in itertools.chain(pieces, [None]):
        final = piece is None
        raw = b"" if piece is None else bytes(piece)
        try:
            text = decoder.decode(raw, final=final)
        except UnicodeDecodeError as exc:
            line = seen_lines + carry.count("\n") + raw[: max(exc.start, 0)].count(b"\n")
            bad = f"byte 0x{raw[exc.start]:02x}" if 0 <= exc.start < len(raw) else "its end"
            raise FileProblem(
                f"The file is not UTF-8: {bad} on line {line} cannot be read. Save it as "
                "'CSV UTF-8' (or as .xlsx) and upload it again.",
                code=ErrorCode.INVALID_ENCODING,
                line=line,
            ) from exc
        if "\x00" in text:
            line = seen_lines + (carry + text[: text.index("\x00")]).count("\n")
            raise FileProblem(
                f"The file holds a NUL character on line {line}: it is not a text (CSV) file.",
                code=ErrorCode.INVALID_ENCODING,
                line=line,
            )
        carry += text
        start = 0
        while (end := carry.find("\n", start)) >= 0:
            yield carry[start : end + 1]
            seen_lines += 1
            start = end + 1
        carry = carry[start:]
    if carry:
        yield carry


def _checked_csv(reader: Any) -> Iterator[tuple[int, list[str]]]:
    number = 0
    while True:
        starts = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FileProblem(
                f"The CSV is malformed in the row that starts on line {starts} ({exc}): a "
                "quote is probably not closed.",
                code=ErrorCode.MALFORMED_FILE,
                line=starts,
            ) from exc
        number += 1
        for cell in cells:
            if len(cell) > MAX_CELL_CHARS:
                raise FileProblem(
                    f"Row {number} holds a cell of {len(cell)} characters (at most "
                    f"{MAX_CELL_CHARS}): a quote is probably not closed.",
                    code=ErrorCode.MALFORMED_FILE,
                    line=number,
                )
        yield number, cells


def check_xlsx_archive(content: bytes | IO[bytes]) -> None:
    """Refuse a workbook that is not a zip, or unpacks too far (read from the zip directory,
    nothing unpacked)."""
    source = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
    size = source.seek(0, io.SEEK_END)
    source.seek(0)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile as exc:
        raise FileProblem(
            "The .xlsx file is damaged (it is not a readable zip archive).",
            code=ErrorCode.MALFORMED_FILE,
        ) from exc
    with archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    source.seek(0)
    limit = min(XLSX_MAX_UNPACKED_BYTES, XLSX_MAX_RATIO * max(size, 1))
    if unpacked > limit:
        raise FileProblem(
            f"The .xlsx file would unpack to {unpacked:,} bytes from {size:,} (at most "
            f"{limit:,}): it is refused as a possible zip bomb. Save it as CSV instead.",
            code=ErrorCode.ARCHIVE_TOO_LARGE,
            limit=limit,
        )


def _xlsx_rows(pieces: Iterable[bytes]) -> Iterator[tuple[int, list[str]]]:
    import openpyxl

    # A workbook is read at random (a zip): its pieces go to a file spooled to disk past 1 MiB.
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 - closed below
    for piece in pieces:
        spool.write(piece)
    try:
        check_xlsx_archive(spool)  # type: ignore[arg-type]
        workbook = openpyxl.load_workbook(spool, read_only=True, data_only=False, keep_links=False)
    except FileProblem:
        spool.close()
        raise
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook
        spool.close()
        raise FileProblem(
            "The .xlsx file is damaged: it is a zip, but not a workbook a spreadsheet saved "
            f"({type(exc).__name__}). Save it again from the spreadsheet, or as CSV.",
            code=ErrorCode.MALFORMED_FILE,
        ) from exc
    return _sheet_rows(workbook, spool)


def _sheet_rows(workbook: Any, spool: Any) -> Iterator[tuple[int, list[str]]]:
    """The first sheet's rows as text. Its stored dimension is ignored (a stale one would hide
    rows); a sheet that goes on past MAX_ROWS rows (empty ones count: a single cell at row
    200,000,000 would be walked to), a cell longer than MAX_CELL_CHARS, or XML that breaks
    half-way is a FileProblem, as a CSV's would be."""
    try:
        if not workbook.worksheets:
            raise FileProblem("The .xlsx file has no sheet.", code=ErrorCode.MALFORMED_FILE)
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()
        # Read no further than one row past the limit: openpyxl stops at the first row stored
        # beyond it (it would fill the rows of a gap one by one up to it).
        rows = sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)
        for number, values in enumerate(rows, start=1):
            if number > MAX_ROWS + 1:
                raise FileProblem(
                    f"The sheet goes on past row {MAX_ROWS + 1:,} (empty rows count); an import "
                    f"takes at most {MAX_ROWS:,} rows.",
                    code=ErrorCode.TOO_MANY_ROWS,
                )
            cells = [_xlsx_text(v) for v in values[:MAX_COLUMNS]]
            for cell in cells:
                if len(cell) > MAX_CELL_CHARS:
                    raise FileProblem(
                        f"Row {number} holds a cell of {len(cell):,} characters (at most "
                        f"{MAX_CELL_CHARS:,}).",
                        code=ErrorCode.MALFORMED_FILE,
                        line=number,
                    )
            yield number, cells
    except FileProblem:
        raise
    except Exception as exc:  # a sheet's XML is parsed as it is read: it may break anywhere
        raise FileProblem(
            "The .xlsx file is damaged: its first sheet cannot be read to the end "
            f"({type(exc).__name__}). Save it again from the spreadsheet, or as CSV.",
            code=ErrorCode.MALFORMED_FILE,
        ) from exc
    finally:
        workbook.close()
        spool.close()


def _xlsx_text(value: Any) -> str:
    """A cell as the text a CSV would hold: dates ISO 8601, numbers as written, booleans
    true/false, a formula as its text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return format(Decimal(repr(value)).normalize(), "f") if value == value else ""
    return str(value)
