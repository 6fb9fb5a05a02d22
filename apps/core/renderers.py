"""JSON rendering with orjson (the only renderer: the API speaks JSON)."""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer


def _default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        return str(obj)
    if isinstance(obj, Promise):
        return str(obj)
    if isinstance(obj, uuid.UUID):
        return str(obj)
    if isinstance(obj, Mapping):
        return dict(obj)
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if hasattr(obj, "__iter__"):
        return list(obj)
    raise TypeError(f"Type is not JSON serializable: {type(obj).__name__}")


class JSONRenderer(BaseRenderer):
    """Renders with orjson; decimals as strings, as the API contract says."""

    media_type = "application/json"
    format = "json"
    charset = None

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


def dumps(data: Any) -> bytes:
    """The API's JSON encoding, for code that writes bytes itself."""
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run: text starting like a formula gets a leading quote
    (numbers such as "-8.00" stay numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


class CSVLines:
    """Rows (dicts) as CSV text under `columns`, cells neutralised (`csv_cell`): what
    CSVRenderer writes at once, and what a streamed download writes batch by batch
    (apps.reports.views), one format for both."""

    def __init__(self, columns: Iterable[str]) -> None:
        self.columns = list(columns)

    def header(self) -> str:
        return self.rows([dict(zip(self.columns, self.columns, strict=True))], neutralise=False)

    def rows(self, rows: Iterable[Mapping[str, Any]], *, neutralise: bool = True) -> str:
        import csv
        import io

        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns, lineterminator="\n")
        writer.writerows(
            {k: csv_cell(v) for k, v in row.items()} if neutralise else row for row in rows
        )
        return buffer.getvalue()


class CSVRenderer(BaseRenderer):
    """A list of flat rows as CSV; `?format=csv`. The header is the view's `csv_columns` (so an
    empty report still has one), else the first row's keys. Errors stay problem documents."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        context = renderer_context or {}
        response = context.get("response")
        if response is not None and response.status_code >= 400:
            # The exception handler announced application/problem+json: write exactly that.
            return dumps(data)
        if isinstance(data, dict) and "results" in data:
            data = data["results"]
        if not isinstance(data, list):
            data = [{"field": k, "value": v} for k, v in dict(data or {}).items()]
        columns = getattr(context.get("view"), "csv_columns", None)
        if not columns and data:
            columns = list(data[0])
        if not columns:
            return b""
        lines = CSVLines(columns)
        return (lines.header() + lines.rows(data)).encode("utf-8")
