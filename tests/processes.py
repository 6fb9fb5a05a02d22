"""Helpers for tests that start real processes (servers, task-queue workers) against the test
run's own database."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parents[1]


def database_url_of_this_run() -> str:
    """A DATABASE_URL for the database this test run uses (test_<name>), socket or TCP."""
    conf = connection.settings_dict
    user = quote(conf["USER"] or "", safe="")
    password = quote(conf["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(conf["HOST"] or "", safe="")
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(conf['NAME'], safe='')}"


def process_env(**extra: str) -> dict[str, str]:
    """The whole environment of a child process: production settings against the test run's
    database. Every variable the settings read that matters is set (empty where unset), so
    neither the test run's environment nor a developer's .env changes what is tested."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url_of_this_run(),
        "DATABASE_REPLICA_URL": "",
        "DATABASE_POOL_MIN": "1",
        "DATABASE_POOL_MAX": "4",
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "SECURE_SSL_REDIRECT": "false",
        "NUM_PROXIES": "0",
        "LOG_LEVEL": "INFO",
        "COGNITO_JWKS_URL": "",
        "COGNITO_ISSUER": "",
        "COGNITO_CLIENT_ID": "",
        **extra,
    }


class Worker:
    """A real task-queue worker (`manage.py procrastinate worker`) in its own process group,
    its output in a temporary file."""

    def __init__(self, *args: str, **env: str) -> None:
        self.kept_output = ""
        self.log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker", *args],
            cwd=BASE_DIR,
            env=process_env(**env),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        if self.log.closed:
            return self.kept_output
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")

    def wait(self, timeout: float = 60.0) -> int:
        return self.process.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL, as a host lost or the OOM killer would: no graceful shutdown."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, 9)
            self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        if not self.log.closed:
            self.kept_output = self.output()
            self.log.close()


def wait_until(
    condition: Callable[[], object], timeout: float = 60.0, every: float = 0.1
) -> object:
    """Poll `condition` until it is truthy (returned) or `timeout` seconds pass (AssertionError)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true within {timeout} s")
