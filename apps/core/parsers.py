"""Request parsing: JSON only, with clear 400s for bodies that are not JSON objects or arrays."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from apps.core.exceptions import PayloadTooLarge


def read_limited(stream: IO[Any]) -> bytes:
    """The body, refused with 413 when longer than DATA_UPLOAD_MAX_MEMORY_SIZE (MAX_REQUEST_BYTES).

    DRF hands parsers the raw request stream, which bypasses Django's own size check on
    `request.body`; without this a client could make a worker buffer any amount of data.
    """
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return bytes(stream.read())
    raw = bytes(stream.read(limit + 1))
    if len(raw) > limit:
        raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")
    return raw


class JSONParser(BaseParser):
    """Parses JSON with orjson; rejects NaN/Infinity and non-UTF-8 input as malformed."""

    media_type = "application/json"

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        raw = read_limited(stream) if stream is not None else b""
        if not raw:
            return {}
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
