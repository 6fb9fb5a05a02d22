"""Request parsing: JSON only, with clear 400s for bodies that are not JSON objects or arrays."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser

from apps.core.codes import ErrorCode
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


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise ParseError(
                f"Malformed JSON: the key {json.dumps(key)[:100]} appears more than once.",
                code=ErrorCode.DUPLICATE_KEY,
            )
        seen.add(key)
    return dict(pairs)


def reject_duplicate_keys(raw: bytes) -> None:
    """A 400 `duplicate_key` when an object repeats a key (`{"a": 1, "a": 2}`). JSON parsers keep
    the last value silently, so a client (or something between it and us) could have one field
    validated and another stored; refusing is the only reading that cannot be misread."""
    try:
        json.loads(raw, object_pairs_hook=_unique_keys)
    except RecursionError as exc:  # nesting orjson accepts but Python's stack does not
        raise ParseError("Malformed JSON: nested too deeply.") from exc


class JSONParser(BaseParser):
    """Parses JSON with orjson; rejects NaN/Infinity, non-UTF-8 input and repeated keys."""

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
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
        if b":" in raw:  # an object somewhere: orjson kept the last of any repeated key
            reject_duplicate_keys(raw)
        return data
