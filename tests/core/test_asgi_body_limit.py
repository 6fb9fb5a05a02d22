"""The ASGI handler does not spool a body larger than any endpoint takes (MAX_UPLOAD_BYTES): a
declared length over it is answered 413 before a byte is read, and a body that goes past it
(no length, or a lying one) is cut off with a 413 (found by a hostile probe: a Content-Length
of a terabyte had the server write 300 MiB to disk and never answer)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from config.asgi_handler import ASGIHandler

pytestmark = pytest.mark.django_db


def _scope(length: int | None) -> dict[str, Any]:
    headers = [(b"host", b"testserver"), (b"content-type", b"multipart/form-data; boundary=x")]
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/imports/",
        "raw_path": b"/api/v1/imports/",
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


def _post(scope: dict[str, Any], chunks: int) -> tuple[int, dict[str, Any], int]:
    """Send up to `chunks` body chunks of 1 MiB (more_body each time); (status, body, chunks
    the handler read)."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read > chunks:
            await asyncio.sleep(3600)  # a client that never finishes
        return {"type": "http.request", "body": b"x" * (1 << 20), "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        handler = ASGIHandler(threads=1)
        await asyncio.wait_for(handler(scope, receive, send), timeout=30)

    asyncio.run(run())
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), read


def test_a_declared_length_over_the_limit_is_413_before_the_body_is_read(settings):
    settings.MAX_UPLOAD_BYTES = 4 << 20
    status, body, read = _post(_scope(10**12), chunks=10**6)
    assert status == 413
    assert (body["code"], body["limit"]) == ("payload_too_large", 4 << 20)
    assert read == 0


@pytest.mark.parametrize("declared", [None, 1000], ids=["no length", "a lying length"])
def test_a_body_that_goes_past_the_limit_is_cut_off(settings, declared):
    settings.MAX_UPLOAD_BYTES = 4 << 20
    status, body, read = _post(_scope(declared), chunks=10**6)
    assert status == 413
    assert body["code"] == "payload_too_large"
    assert read == 5  # four MiB, then the one past it
