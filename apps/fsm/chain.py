"""The per-subject sha-256 hash chain that makes the logs tamper-evident."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
from typing import Any

import orjson


def _default(obj: Any) -> Any:
    if isinstance(obj, decimal.Decimal):
        # Hours have two places; a value read back from the database has them even when the
        # value written did not ("8" is stored and read as "8.00").
        return f"{obj:.2f}"
    if isinstance(obj, dt.datetime | dt.date):
        return obj.isoformat()
    raise TypeError(f"not JSON-encodable: {type(obj).__name__}")


def canonical(payload: dict[str, Any]) -> bytes:
    """A deterministic encoding: sorted keys, no whitespace, UTC times in ISO 8601."""
    return orjson.dumps(payload, default=_default, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z)


def link_hash(prev_hash: str, payload: dict[str, Any]) -> str:
    """sha-256 over the previous hash and the canonical encoding of the row."""
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(payload))
    return digest.hexdigest()
