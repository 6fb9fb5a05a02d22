"""What `make run`'s settings cost per request (issue 21, item 4), measured in-process.

Each variant runs in a fresh interpreter (settings are read once, at import): the settings
module, the environment, and setting overrides applied to the module before django.setup().
Each times REQUESTS `GET /api/v1/employees/` through Django's WSGI handler (the whole middleware
chain, the pool, the throttles, the access log), after WARMUP requests, and prints the median
and the queries per request, wall time and this process's CPU time (the CPU time is what a
shared machine disturbs least). `--profile NAME` prints the cProfile of one variant instead
(PROFILE_SORT, PROFILE_LINES, PROFILE_CALLERS=regex).

    DATABASE_URL=postgres://... .venv/bin/python bench/devcost.py

The database needs an admin@coveris.test (seed_demo); a seeded 10,000 employees is the scale of
`make bench`. Redis at REDIS_URL or 127.0.0.1:6379 for the production variants.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "300"))
WARMUP = 30
REDIS = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/14")

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "LOG_LEVEL": "WARNING",
    "REDIS_URL": REDIS,
    "THROTTLE_USER_RATE": "1000000/hour",
}
# What `make run` gives the server: the local settings and nothing else set.
LOCAL = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "THROTTLE_USER_RATE": "1000000/hour"}
DATABASE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "coveris_cache",
        "KEY_PREFIX": "coveris",
    }
}
NO_AUTOREFRESH: dict[str, object] = {
    "WHITENOISE_AUTOREFRESH": False,
    "WHITENOISE_USE_FINDERS": False,
}

# name: (environment, setting overrides)
VARIANTS: dict[str, tuple[dict[str, str], dict[str, object]]] = {
    "production (Redis cache, LOG_LEVEL=WARNING)": (PRODUCTION, {}),
    "production, database cache": ({**PRODUCTION, "REDIS_URL": ""}, {}),
    "production, LOG_LEVEL=INFO (access log)": ({**PRODUCTION, "LOG_LEVEL": "INFO"}, {}),
    "local (make run)": (LOCAL, {}),
    "local, database cache (before: the base settings')": (LOCAL, {"CACHES": DATABASE_CACHE}),
    "local, DEBUG off": (LOCAL, {"DEBUG": False}),
    "local, Redis cache": ({**LOCAL, "REDIS_URL": REDIS}, {}),
    "local, LOG_LEVEL=WARNING": ({**LOCAL, "LOG_LEVEL": "WARNING"}, {}),
    "local, no WhiteNoise autorefresh/finders": (LOCAL, NO_AUTOREFRESH),
}

CHILD = r"""
import importlib, json, os, statistics, sys, time
overrides = json.loads(sys.argv[1])
module = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
for name, value in overrides.items():
    setattr(module, name, value)
import django
django.setup()
from io import BytesIO
from django.core.handlers.wsgi import WSGIHandler
from django.db import connection, reset_queries
from rest_framework_simplejwt.tokens import AccessToken
from apps.users.models import User
token = str(AccessToken.for_user(User.objects.get(email="admin@coveris.test")))
handler = WSGIHandler()
def environ():
    return {
        "REQUEST_METHOD": "GET", "PATH_INFO": "/api/v1/employees/", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1", "HTTP_AUTHORIZATION": "Bearer " + token,
        "wsgi.input": BytesIO(b""), "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1",
    }
def one():
    response = handler(environ(), lambda status, headers: None)
    body = b"".join(response)
    response.close()
    assert body.startswith(b"{"), body[:200]
for _ in range(int(sys.argv[2])):
    one()
if sys.argv[4] == "profile":
    import cProfile, pstats
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(int(sys.argv[3])):
        one()
    profile.disable()
    stats = pstats.Stats(profile, stream=sys.stderr)
    stats.sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
    stats.print_stats(int(os.environ.get("PROFILE_LINES", "45")))
    if os.environ.get("PROFILE_CALLERS"):
        stats.print_callers(os.environ["PROFILE_CALLERS"])
    sys.exit(0)
from django.conf import settings
from django.db import connections
queries = []
times = []
cpu = []
for _ in range(int(sys.argv[3])):
    count = lambda ex, sql, p, many, ctx: queries.append(sql) or ex(sql, p, many, ctx)
    with connections["default"].execute_wrapper(count):
        start, start_cpu = time.perf_counter(), time.thread_time()
        one()
        times.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
print("RESULT", json.dumps({
    "ms": statistics.median(times) * 1000,
    "cpu_ms": statistics.median(cpu) * 1000,
    "queries": len(queries) / len(times),
    "debug": settings.DEBUG,
    "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
}))
"""


def run(name: str, mode: str = "time") -> dict[str, object]:
    environment, overrides = VARIANTS[name]
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"}
    env.update({key: value for key, value in environment.items() if value})
    command = [sys.executable, "-c", CHILD, json.dumps(overrides), str(WARMUP), str(REQUESTS)]
    result = subprocess.run(
        [*command, mode], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if mode == "profile":
        print(result.stderr[-12000:])
        return {}
    if result.returncode != 0:
        raise SystemExit(f"{name} failed:\n{result.stderr[-3000:]}")
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return dict(json.loads(line.removeprefix("RESULT ")))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="", help="print the cProfile of this variant")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over every variant")
    args = parser.parse_args()
    if args.profile:
        run(next(name for name in VARIANTS if args.profile.lower() in name.lower()), "profile")
        return 0
    results: dict[str, list[dict[str, object]]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name in VARIANTS:
            results[name].append(run(name))
            print(f"  {name}: {results[name][-1]}", flush=True)

    def median(runs: list[dict[str, object]], key: str) -> float:
        return statistics.median(float(str(r[key])) for r in runs)

    first = results[next(iter(VARIANTS))]
    base, base_cpu = median(first, "ms"), median(first, "cpu_ms")
    print(f"\nGET /api/v1/employees/ in-process, median of {REQUESTS}, median of the rounds:")
    print("| variant | ms per request | × production | CPU ms (this process) | × | queries |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, runs in results.items():
        ms, cpu = median(runs, "ms"), median(runs, "cpu_ms")
        print(
            f"| {name} | {ms:.2f} | {ms / base:.2f} | {cpu:.2f} | {cpu / base_cpu:.2f} "
            f"| {runs[0]['queries']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
