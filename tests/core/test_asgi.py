"""The ASGI handler uvicorn serves (config/asgi_handler.py), driven as uvicorn drives it.

A request through it gets the same answer and headers as through Django's own handler. A worker
with `threads=N` runs at most N requests at once, each on its own thread, and everything
synchronous in one request (request signals, middleware, view) runs on one thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

import pytest
from django.core.signals import request_finished, request_started
from django.db import connections
from django.test import override_settings

from config.asgi_handler import ASGIHandler
from tests.core import asgi_urls
from tests.core.asgi_client import exchange, get, get_together, request

# The autouse cache fixture clears the (database) cache, so every test needs the database.
pytestmark = pytest.mark.django_db

TEST_URLS = "tests.core.asgi_urls"


@pytest.fixture
def make_handler() -> Iterator[Callable[..., ASGIHandler]]:
    """ASGIHandler(threads=...), its threads' database connections closed and threads ended
    after the test (the test database cannot be dropped while they hold connections)."""
    handlers: list[ASGIHandler] = []

    def make(threads: int = 1) -> ASGIHandler:
        handler = ASGIHandler(threads=threads)
        handlers.append(handler)
        return handler

    yield make
    for handler in handlers:
        for executor in [*handler.executors, handler.probe_executor]:
            executor.submit(connections.close_all).result(timeout=10)
            executor.shutdown(wait=True)


@pytest.fixture
def meeting_point() -> Iterator[None]:
    """The test URLconf, with a fresh barrier (a broken one would fail every later wait)."""
    with override_settings(ROOT_URLCONF=TEST_URLS):
        yield
    asgi_urls.reset(timeout=1)


def test_a_get_answers_200_with_the_security_headers_and_a_request_id(make_handler):
    response = get(make_handler(), "/healthz")
    assert response.status == 200
    assert response.json() == {"status": "ok"}
    assert len(response.headers["x-request-id"]) == 32
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


@pytest.mark.django_db(transaction=True)
def test_a_request_reaches_the_database_from_its_thread(make_handler):
    response = get(make_handler(), "/readyz")
    assert response.status == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


@pytest.mark.usefixtures("meeting_point")
def test_two_threads_run_two_requests_at_once(make_handler):
    # Generous: the requests meet within milliseconds; the timeout only bounds a failure.
    asgi_urls.reset(timeout=10)
    first, second = get_together(make_handler(threads=2), "/meet", "/meet")
    assert first.status == second.status == 200
    assert first.json()["together"] is True
    assert second.json()["together"] is True
    threads = {first.json()["thread"], second.json()["thread"]}
    assert len(threads) == 2
    assert all(name.startswith("django-sync-") for name in threads)


@pytest.mark.usefixtures("meeting_point")
def test_one_thread_runs_one_request_at_a_time(make_handler):
    # The first request waits alone until the timeout; the second starts only after it is done
    # (and finds the barrier broken).
    asgi_urls.reset(timeout=1)
    first, second = get_together(make_handler(threads=1), "/meet", "/meet")
    assert first.status == second.status == 200
    assert first.json()["together"] is False
    assert second.json()["together"] is False
    # ThreadPoolExecutor names its thread "<prefix>_0".
    assert first.json()["thread"] == second.json()["thread"] == "django-sync-0_0"


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_the_health_check_is_not_queued_behind_a_busy_thread(make_handler, meeting_point):
    """The worker's one thread is held by a slow request: /healthz still answers at once."""
    handler = make_handler(threads=1)
    asgi_urls.release.clear()

    async def run() -> tuple[Any, Any, bool]:
        slow = asyncio.ensure_future(request(handler, "/slow"))
        await asyncio.sleep(0.2)  # the slow request holds the thread
        health = await asyncio.wait_for(request(handler, "/healthz"), timeout=3)
        still_running = not slow.done()
        asgi_urls.release.set()
        return health, await slow, still_running

    try:
        health, slow, still_running = asyncio.run(run())
    finally:
        asgi_urls.release.set()
    assert health.status == 200
    assert health.json() == {"status": "ok"}
    assert still_running
    assert slow.json() == {"released": True}


@pytest.mark.usefixtures("meeting_point")
def test_request_signals_middleware_and_view_share_one_thread(make_handler):
    seen: dict[str, str] = {}

    def started(**kwargs: Any) -> None:
        seen["request_started"] = threading.current_thread().name

    def finished(**kwargs: Any) -> None:
        seen["request_finished"] = threading.current_thread().name

    # Django sends request_started with `asend` (sync receivers go through sync_to_async) and
    # request_finished from `response.close()` under sync_to_async: both are thread-sensitive,
    # so they run on the request's executor thread, like the middleware and the view.
    request_started.connect(started, sender=ASGIHandler, weak=False)
    request_finished.connect(finished, weak=False)
    try:
        response = get(make_handler(threads=2), "/whoami")
    finally:
        request_started.disconnect(started, sender=ASGIHandler)
        request_finished.disconnect(finished)
    view_thread = response.json()["thread"]
    assert view_thread.startswith("django-sync-")
    assert seen == {"request_started": view_thread, "request_finished": view_thread}
    assert threading.current_thread().name != view_thread


@pytest.mark.parametrize("threads", [0, -1])
def test_a_worker_needs_at_least_one_thread(threads):
    with pytest.raises(ValueError, match="at least 1"):
        ASGIHandler(threads=threads)


def test_only_http_connections_are_served(make_handler):
    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: MutableMapping[str, Any]) -> None:
        pass

    with pytest.raises(ValueError, match="lifespan"):
        asyncio.run(make_handler()({"type": "lifespan"}, receive, send))


def test_the_entry_point_serves_this_handler():
    from django.conf import settings

    from config.asgi import application

    assert isinstance(application, ASGIHandler)
    assert len(application.executors) == settings.ASGI_THREADS


@override_settings(ROOT_URLCONF=TEST_URLS)
def test_a_request_whose_client_left_while_it_queued_is_never_run(make_handler, meeting_point):
    """One thread, held by a slow request; a second request queues behind it and its client
    disconnects: when the thread is free the second view never runs and nothing is sent,
    and the next request is served as usual."""
    handler = make_handler(threads=1)
    asgi_urls.release.clear()
    asgi_urls.seen.clear()
    leave = asyncio.Event()

    async def run() -> tuple[Any, list[Any], Any]:
        slow = asyncio.ensure_future(request(handler, "/slow"))
        await asyncio.sleep(0.2)  # the slow request holds the thread
        queued = asyncio.ensure_future(exchange(handler, "/whoami", leave=leave))
        await asyncio.sleep(0.1)
        leave.set()  # the queued request's client disconnects
        await asyncio.sleep(0.1)
        asgi_urls.release.set()
        after = await asyncio.wait_for(request(handler, "/whoami"), timeout=5)
        return await slow, await asyncio.wait_for(queued, timeout=5), after

    try:
        slow, queued, after = asyncio.run(run())
    finally:
        asgi_urls.release.set()
    assert slow.status == 200
    assert queued == []  # no answer started
    assert after.status == 200
    assert asgi_urls.seen == ["whoami"]  # only the request whose client stayed
