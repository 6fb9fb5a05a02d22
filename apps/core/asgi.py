"""The ASGI handler uvicorn serves: Django's own, run the way a sync worker runs.

Django's `ASGIHandler` gives every request a new thread (a `ThreadSensitiveContext` with its
own single-thread executor, started and joined per request) and, because the view is
synchronous, crosses between the event loop and that thread at every async-capable middleware
(`MiddlewareMixin.__acall__` hops twice for each). With DRF's synchronous views and the
synchronous middleware this project uses, that costs about 1.5 ms per request and lets one
worker run as many requests at once as it has connections, all fighting for the GIL.

This subclass keeps Django's request parsing, disconnect handling and response streaming, and
changes two things:

- the middleware chain is loaded synchronously, so a request crosses into its thread once for
  the whole chain and view (plus Django's own hops for the request signals);
- requests run on a fixed set of `ASGI_THREADS` single-thread executors per worker (default
  1), each request on the least busy one, so a worker runs at most that many requests at once
  and holds at most that many database connections — the pool sizing in docs/SCALING.md;
- a streaming response with a synchronous iterator (the audit-log CSV export) is read on the
  request's thread `STREAM_BATCH` parts at a time and sent as it is read. Django's own handler
  reads such an iterator to the end into memory before sending a byte.

The thread-sensitive guarantee holds: everything synchronous in one request runs on one thread.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import Any, cast

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]

STREAM_BATCH = 64


async def read_in_thread(parts: Iterator[bytes]) -> AsyncIterator[bytes]:
    """The parts of a synchronous iterator, read STREAM_BATCH at a time on the request's thread
    (where its database cursor lives)."""
    take = sync_to_async(lambda: list(islice(parts, STREAM_BATCH)), thread_sensitive=True)
    while batch := await take():
        for part in batch:
            yield part


class ASGIHandler(DjangoASGIHandler):
    """Django's ASGI handler with a synchronous middleware chain and a fixed set of threads."""

    def __init__(self, threads: int = 1) -> None:
        if threads < 1:
            raise ValueError("ASGI_THREADS must be at least 1")
        self.executors = [
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"django-sync-{i}")
            for i in range(threads)
        ]
        self.in_flight = [0] * threads
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    async def send_response(self, response: HttpResponseBase, send: Send) -> None:
        if isinstance(response, StreamingHttpResponse) and not response.is_async:
            # The closers of the original iterator stay on the response: Django calls them in
            # response.close() once the last part is sent.
            parts = cast(Iterator[bytes], response.streaming_content)
            response.streaming_content = read_in_thread(iter(parts))
        await super().send_response(response, send)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        index = min(range(len(self.executors)), key=self.in_flight.__getitem__)
        self.in_flight[index] += 1
        try:
            async with ThreadSensitiveContext(executor=self.executors[index]):
                await self.handle(scope, receive, send)
        finally:
            self.in_flight[index] -= 1
