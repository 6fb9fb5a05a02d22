"""ETags and If-Match for optimistic concurrency on updates."""

from __future__ import annotations

from typing import Any

from apps.core.exceptions import PreconditionFailed


def etag_of(obj: Any) -> str:
    """The ETag of a record: changes whenever the record is saved (needs `updated_at`)."""
    stamp = obj.updated_at.isoformat() if getattr(obj, "updated_at", None) else ""
    return f'"{obj.pk}-{stamp}"'


def check_if_match(obj: Any, if_match: str | None) -> None:
    """412 when If-Match names none of the record's current ETag (callers hold the row lock).

    Strong comparison (RFC 9110 §13.1.1): a weak tag (`W/"..."`) never matches."""
    if if_match is None:
        return
    candidates = {tag.strip() for tag in if_match.split(",")}
    if "*" not in candidates and etag_of(obj) not in candidates:
        raise PreconditionFailed(current_etag=etag_of(obj))
