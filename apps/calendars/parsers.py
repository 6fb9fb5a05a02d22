"""The body of an iCalendar upload: `text/calendar`, read as bytes within the size limit."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework.parsers import BaseParser

from apps.core.parsers import read_limited


class ICalendarParser(BaseParser):
    media_type = "text/calendar"

    def parse(  # type: ignore[override]  # returns the file itself, not a mapping
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        return read_limited(stream)
