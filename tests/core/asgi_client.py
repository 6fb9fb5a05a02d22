"""A client that drives an ASGI handler the way uvicorn does (tests/core/test_asgi*.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from config.asgi_handler import ASGIHandler


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


async def exchange(
    handler: ASGIHandler,
    path: str,
    on_send: Callable[[MutableMapping[str, Any]], None] | None = None,
    leave: asyncio.Event | None = None,
) -> list[MutableMapping[str, Any]]:
    """GET `path` the way uvicorn would, from a client that stays connected until the answer
    (or, with `leave`, disconnects once it is set): the messages the handler sent; `on_send`
    sees each one as it is sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    body_sent = False
    never = asyncio.Event()
    messages: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal body_sent
        if not body_sent:
            body_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        # The handler listens for a disconnect and cancels this when the answer is ready.
        await (leave or never).wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        messages.append(message)
        if on_send is not None:
            on_send(message)

    await handler(scope, receive, send)
    return messages


async def request(
    handler: ASGIHandler,
    path: str,
    on_send: Callable[[MutableMapping[str, Any]], None] | None = None,
) -> Response:
    """The answer to GET `path` from a client that stays connected until it comes."""
    messages = await exchange(handler, path, on_send)
    start = messages[0]
    assert start["type"] == "http.response.start"
    return Response(
        status=start["status"],
        headers={name.decode().lower(): value.decode() for name, value in start["headers"]},
        body=b"".join(m.get("body", b"") for m in messages[1:]),
    )


def get(handler: ASGIHandler, path: str) -> Response:
    return asyncio.run(request(handler, path))


def get_together(handler: ASGIHandler, *paths: str) -> list[Response]:
    """Send every request at once (as one worker's event loop receives them) and wait for all."""

    async def run() -> list[Response]:
        return list(await asyncio.gather(*(request(handler, path) for path in paths)))

    return asyncio.run(run())
