"""With the cache (Redis) down the API keeps serving (issue 16, item 6; DESIGN §12): throttles
other than login's fail open with a warning, login answers 503 `cache_unavailable` rather than
take unthrottled guesses, /readyz says the cache is down. Against a port nothing listens on,
and against a real redis-server that the test stops and starts again."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest
import redis
from rest_framework.test import APIClient

from apps.core import cache as shared_cache
from config.serve import free_port
from tests.conftest import bearer
from tests.factories.users import PASSWORD

pytestmark = pytest.mark.django_db


def redis_cache(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": "coveris-outage-test",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }


@pytest.fixture
def cache_down(settings, monkeypatch) -> None:
    """The cache is a Redis on a port nothing listens on."""
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{free_port()}/0")
    monkeypatch.setattr(shared_cache, "_last_warning", 0.0)


def token_login(email: str):
    return APIClient().post(
        "/api/v1/auth/token/", {"email": email, "password": PASSWORD}, format="json"
    )


def cookie_login_status(email: str) -> tuple[int, dict]:
    client = APIClient(enforce_csrf_checks=True)
    client.get("/api/v1/auth/csrf/")
    response = client.post(
        "/api/v1/auth/login/",
        {"email": email, "password": PASSWORD},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    return response.status_code, response.json()


def test_reads_and_writes_are_served_unthrottled_with_one_warning(cache_down, admin_user, caplog):
    client = bearer(APIClient(), admin_user)
    with caplog.at_level(logging.WARNING, logger="coveris.cache"):
        for _ in range(3):
            assert client.get("/api/v1/employees/").status_code == 200
        tag = {"code": "NIGHTS", "label": "Nights", "category": "shift"}
        created = client.post("/api/v1/tags/", tag, format="json")
    assert created.status_code == 201, created.content
    warnings = [r for r in caplog.records if r.name == "coveris.cache"]
    assert len(warnings) == 1  # once a minute per process, not once a request
    assert "not applied" in warnings[0].getMessage()


def test_anonymous_requests_are_answered_not_500(cache_down):
    response = APIClient().get("/api/v1/employees/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_login_answers_503_rather_than_run_unthrottled(cache_down, admin_user):
    response = token_login(admin_user.email)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "cache_unavailable"
    assert "access" not in response.json()
    status, body = cookie_login_status(admin_user.email)
    assert (status, body["code"]) == (503, "cache_unavailable")


def test_refresh_keeps_working(cache_down, admin_user):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = str(RefreshToken.for_user(admin_user))
    response = APIClient().post("/api/v1/auth/token/refresh/", {"refresh": refresh}, format="json")
    assert response.status_code == 200
    assert response.json()["access"]


def test_readyz_says_the_cache_is_down(cache_down):
    from django.test import Client

    response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "ok"
    assert body["cache"] == "unreachable"


def test_cached_values_fall_back_to_process_memory(cache_down):
    shared_cache.set("jwks", {"k": 1}, 60)
    assert shared_cache.get("jwks") == {"k": 1}
    assert shared_cache.add("refetch", True, 60) is True
    assert shared_cache.add("refetch", True, 60) is False


# --- a real Redis, stopped and started again ----------------------------------------------------


class RedisServer:
    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="coveris-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def real_redis(settings, monkeypatch) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (the closed-port tests above still run)")
    server = RedisServer(binary)
    server.start()
    settings.CACHES = redis_cache(server.url)
    monkeypatch.setattr(shared_cache, "_last_warning", 0.0)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.dir, ignore_errors=True)


def test_a_redis_that_stops_and_comes_back(real_redis, admin_user):
    from django.test import Client

    assert token_login(admin_user.email).status_code == 200
    assert Client().get("/readyz").json()["cache"] == "ok"

    real_redis.stop()
    client = bearer(APIClient(), admin_user)
    assert client.get("/api/v1/employees/").status_code == 200
    assert token_login(admin_user.email).status_code == 503
    assert Client().get("/readyz").status_code == 503

    real_redis.start()
    assert token_login(admin_user.email).status_code == 200
    assert Client().get("/readyz").status_code == 200
