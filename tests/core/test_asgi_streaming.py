"""Under uvicorn a streamed download (the audit-log CSV export) goes out as it is produced:
the first bytes leave before the iterator is read to the end, and the iterator is closed
afterwards. Django's own ASGI handler reads such an iterator into memory first."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.http import HttpRequest, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from apps.core.asgi import STREAM_BATCH, ASGIHandler

PARTS = 1000
produced: list[str] = []
closed: list[bool] = []


def numbers() -> Iterator[bytes]:
    try:
        for n in range(PARTS):
            produced.append(threading.current_thread().name)
            yield f"{n}\n".encode()
    finally:
        closed.append(True)


def stream(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(numbers(), content_type="text/csv")


urlpatterns = [path("stream/", stream)]
pytestmark = pytest.mark.django_db  # the shared cache the suite clears lives in the database


def get(handler: ASGIHandler, url: str) -> tuple[list[dict[str, Any]], list[int]]:
    """The messages sent, and how many parts had been produced at each body message."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": url,
        "raw_path": url.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    sent: list[dict[str, Any]] = []
    seen: list[int] = []

    async def run() -> None:
        done = asyncio.Event()
        request = [{"type": "http.request", "body": b"", "more_body": False}]

        async def receive() -> dict[str, Any]:
            if request:
                return request.pop()
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)
            if message["type"] == "http.response.body":
                seen.append(len(produced))

        await handler(scope, receive, send)
        done.set()

    asyncio.run(run())
    return sent, seen


@pytest.fixture(autouse=True)
def _reset() -> None:
    produced.clear()
    closed.clear()


@override_settings(ROOT_URLCONF=__name__)
def test_a_streamed_body_leaves_before_it_is_read_to_the_end() -> None:
    sent, seen = get(ASGIHandler(), "/stream/")
    assert sent[0]["status"] == 200
    body = b"".join(m.get("body", b"") for m in sent[1:])
    assert body.decode().splitlines() == [str(n) for n in range(PARTS)]
    assert seen[0] <= STREAM_BATCH < PARTS  # the first part went out with one batch read
    assert closed == [True]


@override_settings(ROOT_URLCONF=__name__)
def test_the_iterator_runs_on_the_requests_own_thread() -> None:
    get(ASGIHandler(threads=2), "/stream/")
    assert len(set(produced)) == 1
    assert produced[0].startswith("django-sync-")


@override_settings(ROOT_URLCONF=__name__)
def test_streaming_needs_no_warning_about_consuming_the_iterator(
    recwarn: pytest.WarningsRecorder,
) -> None:
    get(ASGIHandler(), "/stream/")
    assert not [w for w in recwarn if "consume synchronous iterators" in str(w.message)]
