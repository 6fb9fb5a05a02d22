"""`make run`: migrate, create the demo data once, print the logins, serve with uvicorn."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on now (for test and benchmark servers)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def stop_process_group(process: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM to a server started with start_new_session=True (uvicorn or gunicorn and their
    workers), then SIGKILL if it has not stopped within `timeout` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


def uvicorn_command(*, host: str, port: int | str, workers: int | str) -> list[str]:
    """The uvicorn command line that serves the app.

    `--no-proxy-headers`: uvicorn would otherwise take the client address from X-Forwarded-For
    whenever the peer is 127.0.0.1 (its default FORWARDED_ALLOW_IPS), so any local client could
    claim a new address per request and slip past the per-address throttles. Django decides
    what X-Forwarded-For is worth (NUM_PROXIES), and the scheme (SECURE_PROXY_SSL_HEADER).
    """
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-server-header",
        "--no-proxy-headers",
        "--timeout-graceful-shutdown",
        "5",
    ]


def main(argv: list[str]) -> int:
    """Prepare the database and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--workers", default="1")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    manage = [sys.executable, "manage.py"]
    for step in (["migrate", "--noinput"], ["seed_demo", "--if-empty"]):
        result = subprocess.run([*manage, *step], env=env, check=False)  # noqa: S603
        if result.returncode != 0:
            return result.returncode
    print(
        f"==> serving on http://{args.host}:{args.port}/ (API /api/v1/, admin /admin/); "
        "Ctrl-C stops",
        flush=True,
    )
    uvicorn = uvicorn_command(host=args.host, port=args.port, workers=args.workers)
    try:
        return subprocess.run(uvicorn, env=env, check=False).returncode  # noqa: S603
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
