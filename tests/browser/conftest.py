"""Browser tests: Debian's headless Chromium, driven by Playwright, against the app served by
uvicorn in a subprocess (the ASGI app `make run` serves) on a free loopback port, reading the
test database that the tests commit to (`django_db(transaction=True)`).

A second origin serves the test SPA (tests/browser/spa/) with Python's http.server on another
loopback port; the app server allows it by CORS_ALLOWED_ORIGINS and CSRF_TRUSTED_ORIGINS, as a
deployment would. A third origin, allowed nowhere, shows that the browser refuses it.

No browser is ever downloaded: Playwright launches the `chromium` package's /usr/bin/chromium
(CHROMIUM overrides the path); .ci/run installs it when it is missing.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import pytest
from django.db import connection

from config.serve import free_port, stop_process_group
from tests.processes import Worker

BASE_DIR = Path(__file__).resolve().parents[2]
SPA_DIR = Path(__file__).resolve().parent / "spa"
ARTIFACTS = BASE_DIR / "artifacts"
HOST = "127.0.0.1"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0
ACTION_TIMEOUT_MS = 15_000  # every click, fill and wait of a test
NAVIGATION_TIMEOUT_MS = 30_000
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).is_file():
        pytest.fail(
            f"No Chromium at {path}: install Debian's `chromium` package (apt-get install -y "
            "chromium) or set CHROMIUM; these tests never download a browser."
        )
    return path


# --- the SPA's origins: static files from http.server ---------------------------------------


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves tests/browser/spa/ without logging every request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class StaticOrigin:
    server: ThreadingHTTPServer

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_address[1]}"


def _static_origin() -> Iterator[StaticOrigin]:
    handler = functools.partial(QuietHandler, directory=str(SPA_DIR))
    server = ThreadingHTTPServer((HOST, 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StaticOrigin(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=STOP_TIMEOUT)


@pytest.fixture(scope="session")
def spa_origin() -> Iterator[StaticOrigin]:
    """The SPA's origin, trusted by the app server."""
    yield from _static_origin()


@pytest.fixture(scope="session")
def foreign_origin() -> Iterator[StaticOrigin]:
    """The same SPA from an origin the app server does not trust."""
    yield from _static_origin()


# --- the app server: uvicorn in a subprocess on the test database ---------------------------


def database_url() -> str:
    """A DATABASE_URL for the database of this test run (test_<name>), socket or TCP."""
    conf = connection.settings_dict
    user = quote(conf["USER"] or "", safe="")
    password = quote(conf["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(conf["HOST"] or "", safe="")
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{quote(conf['NAME'], safe='')}"


@dataclass
class AppServer:
    port: int
    process: subprocess.Popen[bytes]
    log: IO[bytes]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def output(self) -> str:
        self.log.flush()
        return Path(self.log.name).read_text(errors="replace")


@pytest.fixture(scope="session")
def app_server(
    django_db_setup: None, django_db_blocker: Any, spa_origin: StaticOrigin
) -> Iterator[AppServer]:
    """uvicorn serving config.asgi on a free loopback port with the test settings (the test
    database, static files from the apps, fast password hashing) and the SPA origin allowed;
    stopped before the test database is dropped."""
    with django_db_blocker.unblock():
        url = database_url()
    port = free_port(HOST)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "DATABASE_REPLICA_URL": "",
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        "ALLOWED_HOSTS": HOST,
        "CORS_ALLOWED_ORIGINS": spa_origin.url,
        "CSRF_TRUSTED_ORIGINS": spa_origin.url,
        "LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        HOST,
        "--port",
        str(port),
        "--no-server-header",
        "--no-proxy-headers",
    ]
    log = tempfile.NamedTemporaryFile(prefix="coveris-browser-", suffix=".log")  # noqa: SIM115
    process = subprocess.Popen(
        command, cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    server = AppServer(port=port, process=process, log=log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert process.poll() is None, f"uvicorn exited early:\n{server.output()}"
            try:
                with urllib.request.urlopen(f"{server.url}/healthz", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"uvicorn did not start:\n{server.output()}"
            time.sleep(0.2)
        yield server
    finally:
        stop_process_group(process, STOP_TIMEOUT)
        log.close()


# --- the task queue: a real worker on the test database -------------------------------------


@pytest.fixture
def start_worker(transactional_db: None, request: pytest.FixtureRequest) -> Iterator[Any]:
    """Starts a real task-queue worker (`manage.py procrastinate worker`, every queue, as `make
    run` does) against the test database when called; stopped at the end of the test, before
    its tables are flushed (SIGTERM, jobs given 5 s, SIGKILL after 20 s). A failed test prints
    the worker's output."""
    started: list[Worker] = []

    def start() -> Worker:
        worker = Worker("--shutdown-graceful-timeout", "5")
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
            report = getattr(request.node, "rep_call", None)
            if report is not None and report.failed:
                print(f"--- worker output ---\n{worker.output()}")


# --- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium from the distribution, with a fresh profile (Playwright's temporary
    user-data-dir), for the whole session; each test gets its own context."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio event loop on the test's thread; Django's ORM
    # refuses to run where a loop runs unless told that this single-threaded use is safe.
    unsafe = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path(),
            args=CHROMIUM_ARGS,
            headless=True,
            timeout=NAVIGATION_TIMEOUT_MS,
        )
        try:
            yield launched
        finally:
            launched.close()
    if unsafe is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = unsafe


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new page in a new context (no cookies), bounded timeouts, console errors recorded;
    on failure a screenshot goes to artifacts/."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    opened = context.new_page()
    opened.console_errors = []  # type: ignore[attr-defined]
    opened.on(
        "console",
        lambda message: (
            opened.console_errors.append(message.text)  # type: ignore[attr-defined]
            if message.type == "error"
            else None
        ),
    )
    try:
        yield opened
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            opened.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"))
        context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item (the `page` fixture reads it)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
