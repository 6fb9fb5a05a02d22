"""Under uvicorn a streamed download (the audit-log CSV export) goes out as it is produced:
the first bytes leave before the iterator is read to the end, and the iterator is closed
afterwards. Django's own ASGI handler reads such an iterator into memory first."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

import pytest
from django.http import HttpRequest, StreamingHttpResponse
from django.test import override_settings
from django.urls import path

from config.asgi_handler import STREAM_BATCH, ASGIHandler
from tests.core.asgi_client import Response, request

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


def get(handler: ASGIHandler, url: str) -> tuple[Response, list[int]]:
    """The response, and how many parts had been produced when each body message went out."""
    seen: list[int] = []

    def count(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.body":
            seen.append(len(produced))

    return asyncio.run(request(handler, url, on_send=count)), seen


@pytest.fixture(autouse=True)
def _reset() -> None:
    produced.clear()
    closed.clear()


@override_settings(ROOT_URLCONF=__name__)
def test_a_streamed_body_leaves_before_it_is_read_to_the_end() -> None:
    response, seen = get(ASGIHandler(), "/stream/")
    assert response.status == 200
    assert response.body.decode().splitlines() == [str(n) for n in range(PARTS)]
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
