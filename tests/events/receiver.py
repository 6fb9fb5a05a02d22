"""A real HTTP receiver on 127.0.0.1 for webhook tests and benchmarks: a threaded
`http.server` that records every request (headers, body, when it came and the status it was
answered) and answers what it is told.

`answer(received) -> status` runs on the request's thread before the answer is sent: it may
block (a receiver that hangs), preferably on `receiver.stopping`, which is set when the block
ends, so that nothing outlives the test.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() when the body had been read
    wall: float = 0.0  # time.time() at the same moment (to compare with other processes' clocks)
    status: int | None = None  # what it was answered (None while the answer is being made)

    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed

    def header(self, name: str) -> str:
        """A header by its name in any case ("" when absent)."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), "")


@dataclass
class Receiver:
    """What the server received, and how it answers: `answer(received) -> status` (200)."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answer: Callable[[Received], int] = lambda _: 200
    lock: threading.Lock = field(default_factory=threading.Lock)
    changed: threading.Condition = field(init=False)
    # Set when the receiver stops: answers that block wait on it.
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def bodies(self) -> list[bytes]:
        with self.lock:
            return [r.body for r in self.requests]

    def snapshot(self) -> list[Received]:
        with self.lock:
            return list(self.requests)

    def wait_until(
        self, condition: Callable[[list[Received]], object], timeout: float = 30.0
    ) -> list[Received]:
        """The requests so far, once `condition(requests)` holds or `timeout` seconds passed
        (woken by each request and each answer, no polling)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not condition(self.requests):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self.changed.wait(left)
            return list(self.requests)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        """The requests once at least `count` came (or `timeout` passed)."""
        return self.wait_until(lambda requests: len(requests) >= count, timeout)

    def wait_answered(self, count: int, status: int = 200, timeout: float = 30.0) -> list[Received]:
        """The requests once at least `count` were answered `status` (or `timeout` passed)."""
        return self.wait_until(
            lambda requests: sum(r.status == status for r in requests) >= count, timeout
        )

    def hang(self, seconds: float) -> None:
        """Block an answer `seconds` (less if the receiver stops meanwhile)."""
        self.stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # A benchmark opens many keep-alive connections at once.
    request_queue_size = 256

    def get_request(self) -> tuple[socket.socket, Any]:
        """Each answer leaves at once: without TCP_NODELAY, a small answer written after its
        headers waits for the client's delayed ACK (40 ms on Linux), as no real server does."""
        connection, address = super().get_request()
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (cut off by its timeout, killed) is expected here."""


@contextmanager
def receiving(answer: Callable[[Received], int] | None = None) -> Iterator[Receiver]:
    """A receiver on a free port of 127.0.0.1 for the length of the block (stopped after it)."""
    receiver = Receiver()
    if answer is not None:
        receiver.answer = answer

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 64 * 1024  # the status line, headers and body in one write (flushed per answer)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            received = Received(
                self.path, dict(self.headers.items()), body, time.monotonic(), time.time()
            )
            with receiver.changed:
                receiver.requests.append(received)
                receiver.changed.notify_all()
            try:
                status = receiver.answer(received)
            except Exception:
                status = 500
            with receiver.changed:
                received.status = status
                receiver.changed.notify_all()
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield receiver
    finally:
        receiver.stopping.set()
        server.shutdown()
        server.server_close()


def refusing_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (the port was free a moment ago)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"
