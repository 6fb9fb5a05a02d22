"""`make run`: migrate, create the demo data once, print the logins, serve with uvicorn, and run
a task-queue worker beside it (`--job-workers`, default 1; 0 runs none). Ctrl-C stops both: they
are in the terminal's process group, and the worker is stopped when uvicorn ends.

Migrations run as the tables' owner; the demo data and the server use the application's role,
which owns no table (DESIGN §7): on the embedded PostgreSQL, `coveris_app` on the same server;
elsewhere DATABASE_OWNER_URL migrates and DATABASE_URL serves (docs/OPERATIONS.md).
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit

APP_ROLE = "coveris_app"


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

    `--no-access-log`: the app writes the access log (apps.core.logging.log_access), through
    LOGGING (JSON in production) with the request id and without secrets in query strings.
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
        "--no-access-log",
        "--timeout-graceful-shutdown",
        "5",
    ]


def worker_command(*, concurrency: int | str = 2) -> list[str]:
    """The task-queue worker (apps/jobs): every queue, jobs of up to `concurrency` at once."""
    return [
        sys.executable,
        "manage.py",
        "procrastinate",
        "worker",
        "--concurrency",
        str(concurrency),
        "--shutdown-graceful-timeout",
        "10",
    ]


def as_role(url: str, role: str = APP_ROLE) -> str:
    """`url` with its user replaced by `role` (no password: the embedded server trusts local
    connections)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{role}@{host}"))


def database_urls(env: dict[str, str]) -> tuple[str | None, str | None]:
    """(the owner's URL for migrate, the application's URL for everything else); None keeps
    what the settings find. Embedded: the running server's superuser, and `coveris_app` on it."""
    if env.get("DATABASE_URL"):
        return env.get("DATABASE_OWNER_URL") or env["DATABASE_URL"], env["DATABASE_URL"]
    from config.devdb import running_url

    owner = running_url()
    return owner, as_role(owner) if owner else None


def main(argv: list[str]) -> int:
    """Prepare the database and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument("--workers", default="1")
    parser.add_argument("--job-workers", type=int, default=int(os.environ.get("JOB_WORKERS", "1")))
    args = parser.parse_args(argv)
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    manage = [sys.executable, "manage.py"]
    owner_url, app_url = database_urls(env)
    owner_env = dict(env, DATABASE_URL=owner_url) if owner_url else env
    env = dict(env, DATABASE_URL=app_url) if app_url else env
    for step, step_env in (
        (["migrate", "--noinput"], owner_env),
        (["seed_demo", "--if-empty"], env),
    ):
        result = subprocess.run([*manage, *step], env=step_env, check=False)  # noqa: S603
        if result.returncode != 0:
            return result.returncode
    print(
        f"==> serving on http://{args.host}:{args.port}/ (API /api/v1/, admin /admin/); "
        "Ctrl-C stops",
        flush=True,
    )
    uvicorn = uvicorn_command(host=args.host, port=args.port, workers=args.workers)
    job_workers = [
        subprocess.Popen(worker_command(), env=env)  # noqa: S603
        for _ in range(args.job_workers)
    ]
    try:
        return subprocess.run(uvicorn, env=env, check=False).returncode  # noqa: S603
    except KeyboardInterrupt:
        return 0
    finally:
        for worker in job_workers:
            stop_worker(worker)


def stop_worker(worker: subprocess.Popen[bytes], timeout: float = 15.0) -> None:
    """SIGTERM (the worker finishes its jobs for up to 10 s, then aborts them), then SIGKILL."""
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait(timeout=timeout)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
