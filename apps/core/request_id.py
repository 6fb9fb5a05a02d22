"""The id of the request being served, for logs, log rows and the X-Request-ID header."""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_current: ContextVar[str] = ContextVar("request_id", default="")
_VALID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def get() -> str:
    """The current request id, or "" outside a request."""
    return _current.get()


def accept(incoming: str | None) -> str:
    """Use the caller's id when it is well-formed, else make one."""
    if incoming and _VALID.match(incoming):
        return incoming
    return uuid.uuid4().hex


def set_current(value: str) -> object:
    """Make `value` the current id; returns a token for `reset`."""
    return _current.set(value)


def reset(token: object) -> None:
    """Restore the id that was current before `set_current`."""
    _current.reset(token)  # type: ignore[arg-type]
