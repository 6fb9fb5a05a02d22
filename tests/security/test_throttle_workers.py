"""Throttles hold across two uvicorn workers: the counters live in the shared cache.

A real server (the command line `make run` uses, with `--workers 2`) on 127.0.0.1, under the
production settings, against the test database (so it sees the user this test commits) and the
database cache — or Redis when REDIS_URL is set. Six wrong logins, each on a new connection (so
either worker may answer) and each claiming another X-Forwarded-For: the sixth is 429.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from apps.core.throttling import counter_key
from config.serve import free_port, stop_process_group, uvicorn_command
from tests.factories.users import UserFactory
from tests.processes import process_env

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 10.0
STOP_TIMEOUT = 15.0


def server_env(port: int) -> dict[str, str]:
    """The server's whole environment: production settings over plain HTTP on loopback."""
    return process_env()


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, **headers: str
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a new connection (closed after), so any worker may take it."""
        conn = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        try:
            payload = json.dumps(body).encode() if body is not None else None
            all_headers = {"Connection": "close", **headers}
            if payload is not None:
                all_headers["Content-Type"] = "application/json"
            conn.request(method, path, body=payload, headers=all_headers)
            response = conn.getresponse()
            return (
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            conn.close()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: only the server test uses the cache (and clears it)."""


@pytest.fixture
def server(transactional_db: None) -> Iterator[Server]:
    """uvicorn with 2 workers on a free loopback port, with an empty cache; stopped (before
    the database is flushed) when the test ends."""
    cache.clear()
    # The database cache needs its table (migration apps.core 0001) in the test database.
    if not os.environ.get("REDIS_URL"):
        assert settings.CACHES["default"]["LOCATION"] in connection.introspection.table_names()
    port = free_port(HOST)
    command = uvicorn_command(host=HOST, port=port, workers=2)
    log = tempfile.NamedTemporaryFile(prefix="coveris-uvicorn-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(
        command,
        cwd=BASE_DIR,
        env=server_env(port),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    running = Server(port=port, process=process, log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"uvicorn exited early:\n{running.output()}"
            try:
                if running.request("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"uvicorn did not start:\n{running.output()}"
            time.sleep(0.2)
        yield running
    finally:
        stop_process_group(process, STOP_TIMEOUT)
        log.close()


def _cookie(headers: dict[str, str], name: str) -> str:
    match = re.search(rf"{name}=([^;]+)", headers.get("set-cookie", ""))
    assert match, headers
    return match.group(1)


@pytest.mark.django_db(transaction=True)
def test_sixth_wrong_login_is_429_whichever_worker_answers(server):
    user = UserFactory(email="throttled@example.test")
    status, headers, _ = server.request("GET", "/api/v1/auth/csrf/")
    assert status == 204
    csrf = _cookie(headers, "csrftoken")
    attempts = []
    started = time.time()
    for attempt in range(6):
        attempts.append(
            server.request(
                "POST",
                "/api/v1/auth/login/",
                {"email": user.email, "password": f"wrong-password-{attempt}"},
                Cookie=f"csrftoken={csrf}",
                **{"X-CSRFToken": csrf, "X-Forwarded-For": f"203.0.113.{attempt + 1}"},
            )
        )

    statuses = [status for status, _, _ in attempts]
    assert statuses == [401] * 5 + [429], [(s, b[:200]) for s, _, b in attempts]
    for _, _, body in attempts[:5]:
        assert json.loads(body)["code"] == "invalid_credentials"
    _, headers, body = attempts[5]
    assert headers["content-type"] == "application/problem+json"
    assert json.loads(body)["code"] == "throttled"
    assert int(headers["retry-after"]) > 0
    # The server counted in the cache this process reads too: one store for every worker,
    # keyed by the peer address (X-Forwarded-For is not trusted with NUM_PROXIES=0).
    # One counter per address and hour-long window (apps/core/throttling.py).
    # Redis counts every attempt (one INCR each, the refused sixth too); the database cache
    # writes down only the allowed ones (apps/core/throttling.py).
    counts_refused = not settings.CACHES["default"]["BACKEND"].endswith("db.DatabaseCache")
    expected = 6 if counts_refused else 5
    assert cache.get(counter_key(f"throttle_login_{HOST}", started, 3600)) == expected
    assert not any(
        cache.get(counter_key(f"throttle_login_203.0.113.{n}", started, 3600)) for n in range(1, 7)
    )
    # A token in a query string is refused, and kept out of the access log.
    token = "eyJhbGciOiJIUzI1NiJ9.eyJ0b2tlbl90eXBlIjoiYWNjZXNzIn0.c2VjcmV0LXNpZ25hdHVyZQ"
    status, headers, _ = server.request(
        "GET", f"/api/v1/employees/?access_token={token}", **{"X-Request-ID": "probe-7"}
    )
    assert status == 401
    # The attempted passwords are in no log line of the real server either.
    output = server.output()
    assert "POST /api/v1/auth/login/" in output  # the access log is there ...
    assert "wrong-password-" not in output  # ... the passwords are not
    assert token not in output
    assert "c2VjcmV0LXNpZ25hdHVyZQ" not in output
    # The access log is the app's, in JSON (production), with the request id; uvicorn's is off.
    access = [
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"coveris.access"' in line
    ]
    probe = next(line for line in access if line["request_id"] == "probe-7")
    assert probe["status"] == 401
    assert probe["query"] == "access_token=[redacted]"
    assert len([line for line in access if line["path"] == "/api/v1/auth/login/"]) == 6
    assert '" 401' not in output  # uvicorn's own format: `"POST /api/v1/auth/login/ HTTP/1.1" 401`


def test_every_way_to_serve_leaves_x_forwarded_for_to_django():
    """`make run` (config.serve) and the container both turn uvicorn's proxy headers off."""
    assert "--no-proxy-headers" in uvicorn_command(host=HOST, port=8000, workers=2)
    containerfile = (BASE_DIR / "Containerfile").read_text()
    cmd = next(line for line in containerfile.splitlines() if line.startswith("CMD "))
    assert "uvicorn config.asgi:application" in cmd
    assert "--no-proxy-headers" in cmd
