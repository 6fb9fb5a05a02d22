"""Throttles in O(1) (issue 21, item 5): the cost of one `allow_request` for a user already at
900 requests of the seeded 1000/hour, DRF's SimpleRateThrottle (a list of 900 timestamps read,
trimmed and written back) beside apps.core.throttling's counter (one integer), in one run.

Each of CALLS calls is timed on its own (the median is printed), after the user's state is put
back to 900 requests (outside the timing), so every call is the common case: an allowed request
near the limit. The database cache's queries per call and the bytes stored per user are printed
too.
Caches: the test settings' (Django's DatabaseCache, in a table of this script's own, dropped at
the end), Redis at REDIS_URL or 127.0.0.1:6379 when one answers (production's), LocMemCache.

    DATABASE_URL=postgres://... .venv/bin/python bench/throttle.py

or, without DATABASE_URL, in a throwaway embedded PostgreSQL:

    .venv/bin/python -m config.devdb test -- .venv/bin/python bench/throttle.py
"""

from __future__ import annotations

import os
import pickle
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

import redis  # noqa: E402
from django.core.cache.backends.base import BaseCache  # noqa: E402
from django.core.cache.backends.db import DatabaseCache  # noqa: E402
from django.core.cache.backends.locmem import LocMemCache  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework import throttling as drf  # noqa: E402

from apps.core import throttling as ours  # noqa: E402
from apps.core.throttling import counter_key  # noqa: E402

CALLS = int(os.environ.get("BENCH_CALLS", "2000"))
ALREADY = 900
TABLE = "coveris_bench_throttle"
USER_KEY = "throttle_user_1"  # DRF's key for the user with pk 1
REQUEST = SimpleNamespace(method="GET", user=SimpleNamespace(is_authenticated=True, pk=1))
VIEW = SimpleNamespace(get=None)


def caches() -> list[tuple[str, BaseCache, Callable[[], None]]]:
    found: list[tuple[str, BaseCache, Callable[[], None]]] = []
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (cache_key varchar(255) NOT NULL PRIMARY KEY,"
            " value text NOT NULL, expires timestamp with time zone NOT NULL)"
        )

    def drop() -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")

    found.append(("DatabaseCache (test settings)", DatabaseCache(TABLE, {}), drop))
    url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.2).ping()
    except redis.exceptions.RedisError:
        print(f"(no Redis at {url}: skipped)")
    else:
        from django_redis.cache import RedisCache

        prefix = f"coveris-bench-{uuid.uuid4().hex}"
        backend = RedisCache(url, {"KEY_PREFIX": prefix})

        def forget() -> None:
            backend.delete_pattern("*")  # only this run's prefix

        found.append(("Redis (django-redis)", backend, forget))
    found.append(("LocMemCache", LocMemCache("bench-throttle", {}), lambda: None))
    return found


def run(throttle_class: type, backend: BaseCache, reset: Callable[[], None]) -> tuple[float, int]:
    """Median microseconds per allow_request, and database queries per call."""
    throttle_class = type(throttle_class.__name__, (throttle_class,), {"cache": backend})
    times: list[float] = []
    executed = 0

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal executed
        executed += 1
        return execute(sql, params, many, context)

    for _ in range(CALLS):
        reset()
        throttle = throttle_class()
        executed = 0
        with connection.execute_wrapper(count):
            start = time.perf_counter()
            allowed = throttle.allow_request(REQUEST, VIEW)
            times.append(time.perf_counter() - start)
        assert allowed
    return statistics.median(times) * 1e6, executed


def main() -> None:
    print(f"{CALLS} allow_request calls, user at {ALREADY} of 1000/hour, each timed alone\n")
    header = f"{'cache':30} {'DRF µs':>8} {'counter µs':>10} {'ratio':>6} {'queries':>7}"
    print(f"{header} {'bytes stored':>12}")
    for name, backend, cleanup in caches():
        try:
            now = time.time()
            history = [now - i for i in range(ALREADY)]

            def reset_drf(backend: Any = backend, history: list[float] = history) -> None:
                backend.set(USER_KEY, history, 3600)

            def reset_counter(backend: Any = backend) -> None:
                backend.set(counter_key(USER_KEY, time.time(), 3600), ALREADY, 3600)

            old_us, old_queries = run(drf.UserRateThrottle, backend, reset_drf)
            new_us, new_queries = run(ours.UserRateThrottle, backend, reset_counter)
            sizes = f"{len(pickle.dumps([*history, now]))}→{len(pickle.dumps(ALREADY + 1))}"
            queries = f"{old_queries}→{new_queries}" if isinstance(backend, DatabaseCache) else "-"
            print(
                f"{name:30} {old_us:8.1f} {new_us:10.1f} {old_us / new_us:5.1f}× "
                f"{queries:>7} {sizes:>12}"
            )
        finally:
            cleanup()


if __name__ == "__main__":
    main()
