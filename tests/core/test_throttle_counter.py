"""Throttles count in O(1) (issue 21, item 5): one integer per client and fixed window, the
same rates, Retry-After to the window's end, and an exact count under concurrent requests.

Time is the throttles' `timer` (DRF's class attribute, `time.time`), patched to a chosen instant.
The suite's cache is Django's DatabaseCache (no REDIS_URL), whose `incr` is a get and a set; the
concurrency test therefore runs against Redis (127.0.0.1:6379 when it answers, else a
redis-server this test starts; skipped only when neither exists) and against LocMemCache, whose
`incr` holds a lock.
"""

from __future__ import annotations

import math
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from apps.core.throttling import (
    WINDOW_SLACK_SECONDS,
    FixedWindowThrottle,
    LoginScopedRateThrottle,
    UserRateThrottle,
    counter_key,
)
from tests.conftest import bearer
from tests.core.test_cache_outage import RedisServer

pytestmark = pytest.mark.django_db  # conftest's _clear_cache empties the database cache

ME = "/api/v1/auth/me/"
CSRF = "/api/v1/auth/csrf/"  # AnonRateThrottle only, no authentication, no database
LOGIN = "/api/v1/auth/login/"
MINUTE = 60
# An instant 10 s into a minute-long window (and into an hour-long one).
WINDOW_START = 1_800_000_000 - 1_800_000_000 % 3600
NOW = WINDOW_START + 10.0


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock(NOW)
    monkeypatch.setattr(FixedWindowThrottle, "timer", staticmethod(clock))
    return clock


@pytest.fixture
def rates(monkeypatch) -> dict[str, str]:
    """DRF's classes copied DEFAULT_THROTTLE_RATES at import: patch the copy they read."""
    patched = dict(SimpleRateThrottle.THROTTLE_RATES)
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", patched)
    return patched


def test_the_seeded_rates_are_unchanged():
    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["user"] == "1000/hour"
    throttle = UserRateThrottle()
    assert (throttle.num_requests, throttle.duration) == (1000, 3600)
    assert issubclass(UserRateThrottle, SimpleRateThrottle)


def test_the_request_past_the_rate_is_429_until_the_window_ends(clock, rates, admin_user):
    rates["user"] = "3/min"
    client = bearer(APIClient(), admin_user)
    assert [client.get(ME).status_code for _ in range(3)] == [200] * 3

    refused = client.get(ME)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled"
    # 10 s into the minute: the window ends in 50 s, and that is the wait.
    assert int(refused["Retry-After"]) == 50
    clock.now = WINDOW_START + 59.5
    late = client.get(ME)
    assert late.status_code == 429
    assert 0 < int(late["Retry-After"]) <= MINUTE

    clock.now = WINDOW_START + MINUTE  # the next window
    assert [client.get(ME).status_code for _ in range(3)] == [200] * 3
    assert client.get(ME).status_code == 429


def test_the_cache_holds_one_integer_per_client_and_window(clock, rates, admin_user):
    rates["user"] = "5/min"
    client = bearer(APIClient(), admin_user)
    for _ in range(3):
        assert client.get(ME).status_code == 200

    base = f"throttle_user_{admin_user.pk}"
    count = cache.get(counter_key(base, NOW, MINUTE))
    assert type(count) is int
    assert count == 3
    assert cache.get(base) is None  # no list of timestamps under DRF's own key

    clock.now = WINDOW_START + MINUTE
    assert client.get(ME).status_code == 200
    assert cache.get(counter_key(base, clock.now, MINUTE)) == 1
    assert cache.get(counter_key(base, NOW, MINUTE)) == 3  # the old window's, until it expires


# The database cache of the default settings (the migrations create its table), whatever the
# suite runs on (CI's second pass runs on Redis).
DATABASE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "coveris_cache",
        "KEY_PREFIX": "coveris",
    }
}


@override_settings(CACHES=DATABASE_CACHE)
def test_the_database_cache_keeps_the_counter_for_the_whole_window(api_client, admin_user):
    """BaseCache.incr (the DatabaseCache's) would set the counter again with the cache's default
    timeout (300 s): login's hour would restart after five quiet minutes. The counter expires
    when its window (and the slack) ends."""
    assert django_settings.CACHES["default"]["BACKEND"].endswith("db.DatabaseCache")
    cache.clear()
    api_client.get("/api/v1/auth/csrf/")
    before = time.time()
    response = api_client.post(
        LOGIN,
        {"email": admin_user.email, "password": "wrong"},
        format="json",
        HTTP_X_CSRFTOKEN=api_client.cookies["csrftoken"].value,
    )
    assert response.status_code == 401
    key = counter_key("throttle_login_127.0.0.1", before, 3600)
    assert cache.get(key) == 1
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT expires FROM {django_settings.CACHES['default']['LOCATION']} "
            "WHERE cache_key = %s",
            [cache.make_key(key)],
        )
        (expires,) = cursor.fetchone()
    window_end = (before // 3600 + 1) * 3600
    expected = datetime.fromtimestamp(window_end + WINDOW_SLACK_SECONDS, tz=UTC)
    assert abs((expires - expected).total_seconds()) <= 2


def test_options_and_unanswered_methods_use_up_nothing(rates, api_client, admin_user):
    for _ in range(6):
        assert api_client.options(LOGIN).status_code == 200
        assert api_client.get(LOGIN).status_code == 405
    api_client.get("/api/v1/auth/csrf/")
    statuses = [
        api_client.post(
            LOGIN,
            {"email": admin_user.email, "password": "wrong"},
            format="json",
            HTTP_X_CSRFTOKEN=api_client.cookies["csrftoken"].value,
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401] * 5 + [429]


# --- concurrent requests against a cache whose incr is atomic -----------------------------------


def _reachable(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.2).ping())
    except redis.exceptions.RedisError:
        return False


@pytest.fixture
def redis_url() -> Iterator[str]:
    """Redis on 127.0.0.1:6379 if one answers, else a redis-server of this test's own."""
    shared = "redis://127.0.0.1:6379/0"
    if _reachable(shared):
        yield shared
        return
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no Redis at 127.0.0.1:6379 and redis-server is not installed")
    server = RedisServer(binary)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def _backend(kind: str, redis_url: str) -> dict:
    # A prefix of this run's own: the Redis may be shared, and it is never cleared here.
    prefix = f"coveris-throttle-test-{uuid.uuid4().hex}"
    if kind == "redis":
        return {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
        }
    return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}


@pytest.fixture(params=["redis", "locmem"])
def atomic_cache(request, settings) -> str:
    url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    settings.CACHES = {"default": _backend(request.param, url)}
    return request.param


THREADS = 40
RATE = 10


def test_concurrent_requests_pass_exactly_the_rate(atomic_cache, clock, rates):
    rates["anon"] = f"{RATE}/min"
    barrier = threading.Barrier(THREADS)
    statuses: list[int] = []
    lock = threading.Lock()

    def hit() -> None:
        client = APIClient()
        barrier.wait()
        status = client.get(CSRF).status_code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=hit) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [204] * RATE + [429] * (THREADS - RATE)
    key = counter_key("throttle_anon_127.0.0.1", NOW, MINUTE)
    assert cache.get(key) == THREADS  # every request counted once, refused ones too
    if atomic_cache == "redis":
        # The counter expires with its window (add's timeout; INCR keeps it).
        ttl = cache.ttl(key)
        assert 0 < ttl <= math.ceil(WINDOW_START + MINUTE - NOW) + WINDOW_SLACK_SECONDS


def test_login_still_answers_503_when_the_counter_cannot_be_reached(settings, api_client):
    """The counter's add fails like DRF's get did: login's throttle fails closed."""
    from config.serve import free_port

    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    assert issubclass(LoginScopedRateThrottle, FixedWindowThrottle)
    response = api_client.post(LOGIN, {"email": "a@example.test", "password": "x"}, format="json")
    assert response.status_code == 503
    assert response.json()["code"] == "cache_unavailable"
