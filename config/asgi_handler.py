"""The ASGI handler uvicorn serves: Django's own, run the way a sync worker runs.

Django's `ASGIHandler` gives every request a new thread (a `ThreadSensitiveContext` with its
own single-thread executor, started and joined per request), lets one worker run as many
requests at once as it has open connections, all fighting for the GIL, and, because the views
are synchronous, hands each request between the event loop and a thread many times: for the
request_started signal, twice per `MiddlewareMixin` middleware, for the view, and for
`response.close()`. On a busy machine every hand-over waits for the scheduler.

This subclass keeps Django's request class, body reading and response sending, and changes:

- the middleware chain is loaded synchronously, and one call on the request's thread runs
  the request_started signal, the chain and the view, and (for a response that is not
  streamed) `response.close()`, which returns the database connection to the pool before the
  body goes out; the event loop then sends it. One hand-over per request, not a dozen, made
  with `loop.run_in_executor` in a copy of the request's context (`RequestThread`): what
  asgiref's `sync_to_async` does, without its per-call bookkeeping for nested async/sync
  bridges, which a synchronous chain never uses (an async view would still work: Django
  adapts it, more slowly).
- requests run on a fixed set of `ASGI_THREADS` single-thread executors per worker (default
  1), each request on the least busy one, so a worker runs at most that many requests at once
  and holds at most that many database connections (docs/SCALING.md, pool sizing).
- the health checks never queue behind the requests on those threads, so a worker whose
  threads are all busy with slow reports still answers them at once (a load balancer would
  otherwise take it for dead and restart it, dropping the reports too): `/healthz`, which does
  no I/O, is answered on the event loop itself (a hand-over to a thread costs a wait for the
  GIL each way, tens of milliseconds while reports run); `/readyz`, which asks the database,
  on a thread of its own.
- a streamed response with a synchronous iterator (the audit-log CSV export) is read on the
  request's thread `STREAM_BATCH` parts at a time and sent as it is read, then closed there.
  Django's own handler reads such an iterator to the end into memory before sending a byte.

Django's handler also watches for a client disconnect while the view runs, to cancel it; a
synchronous view cannot be cancelled once it runs, but a request still queued for its thread
when its client disconnects is dropped unrun (`respond` returns None): a client that gave up
(a timeout, a closed tab, a load balancer's retry) costs the worker nothing more, so an
overloaded worker does not keep working for clients that have left. Everything synchronous in
one request runs on one thread (the thread-sensitive guarantee Django's database layer needs).
"""

from __future__ import annotations

import asyncio
import contextvars
import tempfile
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from itertools import islice
from typing import IO, Any, TypeVar, cast

from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.core.handlers.asgi import get_script_prefix
from django.http import FileResponse, HttpResponseBase, StreamingHttpResponse
from django.urls import set_script_prefix

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
T = TypeVar("T")

STREAM_BATCH = 64
# Never queued behind the requests of the ASGI_THREADS threads: answered on the event loop
# (no I/O at all), or on a probe thread of their own.
INLINE_PATHS = frozenset({"/healthz"})


class BodyTooLarge(Exception):
    """The request body goes past MAX_UPLOAD_BYTES, the largest any endpoint takes."""


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _too_large(limit: int) -> HttpResponseBase:
    """413 as a problem document, answered before the body is read (so it needs no request)."""
    from django.http import JsonResponse

    from apps.core.codes import ErrorCode
    from apps.core.exceptions import PROBLEM_CONTENT_TYPE, problem

    detail = f"The request body is larger than {limit:,} bytes, the most any endpoint takes."
    return JsonResponse(
        problem(413, ErrorCode.PAYLOAD_TOO_LARGE, detail, limit=limit),
        status=413,
        content_type=PROBLEM_CONTENT_TYPE,
    )


PROBE_PATHS = frozenset({"/readyz"})


class RequestThread:
    """Runs one request's synchronous code on its executor, always in the same copy of the
    request's context: everything sees the same context variables (Django's per-request
    database connections, the script prefix, the request id) and runs on one thread."""

    def __init__(self, executor: ThreadPoolExecutor) -> None:
        self.executor = executor
        self.context = contextvars.copy_context()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.context.run, function, *args)


async def watch_disconnect(receive: Receive, gone: threading.Event) -> None:
    """Set `gone` when the client disconnects (the server's next message, once the body is
    read, is the disconnect; cancelled when the response is ready)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def read_in_thread(parts: Iterator[bytes], thread: RequestThread) -> AsyncIterator[bytes]:
    """The parts of a synchronous iterator, read STREAM_BATCH at a time on the request's thread
    (where its database cursor lives)."""
    while batch := await thread.run(lambda: list(islice(parts, STREAM_BATCH))):
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
        self.probe_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="django-probe")
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"Django can only handle ASGI/HTTP connections, not {scope['type']}.")
        if scope.get("path") in INLINE_PATHS:
            await self.serve(scope, receive, send, None)
            return
        if scope.get("path") in PROBE_PATHS:
            await self.serve(scope, receive, send, self.probe_executor)
            return
        index = min(range(len(self.executors)), key=self.in_flight.__getitem__)
        self.in_flight[index] += 1
        try:
            await self.serve(scope, receive, send, self.executors[index])
        finally:
            self.in_flight[index] -= 1

    async def serve(
        self, scope: Scope, receive: Receive, send: Send, executor: ThreadPoolExecutor | None
    ) -> None:
        """Django's `handle()`, with the synchronous part in one call on `executor` (None: on
        the event loop, for a view that does no I/O)."""
        limit = getattr(settings, "MAX_UPLOAD_BYTES", None)
        declared = _content_length(scope)
        if limit is not None and declared is not None and declared > limit:
            await self.send_response(_too_large(limit), send)  # before a byte is read
            return
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        except BodyTooLarge:
            await self.send_response(_too_large(limit or 0), send)
            return
        set_script_prefix(get_script_prefix(scope))
        if executor is None:
            try:
                response = self.respond(scope, body_file)
                assert response is not None  # no `gone`: always a response
                await self.send_response(response, send)
            finally:
                body_file.close()
            return
        thread = RequestThread(executor)
        gone = threading.Event()
        watch = asyncio.ensure_future(watch_disconnect(receive, gone))
        try:
            try:
                response = await thread.run(self.respond, scope, body_file, gone)
            finally:
                watch.cancel()
            if response is None:  # the client left while the request waited for its thread
                return
            if not isinstance(response, StreamingHttpResponse) or response.is_async:
                await self.send_response(response, send)
                return
            # The closers of the original iterator stay on the response, which is closed on
            # the request's thread once the last part is sent.
            parts = cast(Iterator[bytes], response.streaming_content)
            response.streaming_content = read_in_thread(iter(parts), thread)
            try:
                await self.send_response(response, send)
            finally:
                await thread.run(response.close)
        finally:
            body_file.close()

    async def read_body(self, receive: Receive) -> IO[bytes]:
        """Django's, but a body past MAX_UPLOAD_BYTES (one sent without a Content-Length, or
        longer than it said) is not spooled to the end: BodyTooLarge."""
        limit = getattr(settings, "MAX_UPLOAD_BYTES", None)
        body_file = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - returned open
            max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE, mode="w+b"
        )
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                body_file.close()
                raise RequestAborted()
            if "body" in message:
                size += len(message["body"])
                if limit is not None and size > limit:
                    body_file.close()
                    raise BodyTooLarge
                body_file.write(message["body"])
            if not message.get("more_body", False):
                break
        body_file.seek(0)
        return body_file

    def respond(
        self, scope: Scope, body_file: IO[bytes], gone: threading.Event | None = None
    ) -> HttpResponseBase | None:
        """On the request's thread: the response, already closed unless it is streamed; None,
        without running anything, if the client has already disconnected (`gone`)."""
        if gone is not None and gone.is_set():
            return None
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        assert response is not None
        if not response.streaming:
            response.close()  # request_finished: the connection goes back to the pool
        return response
