"""`make run`'s database, end to end: while `config.devdb run` holds it, other manage.py
commands in the checkout reach the same database through its postmaster.pid; when the command
ends (here by SIGTERM, like a supervisor's stop) the database stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from config.devdb import running_url

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db  # only for the suite's autouse cache fixture


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_manage_py_reaches_the_running_embedded_database_and_it_stops_cleanly():
    base = Path(tempfile.mkdtemp(prefix="cvrun-"))
    base.chmod(0o755)
    data = base / "postgres"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DATABASE_REPLICA_URL")
    }
    env.update(
        COVERIS_DEVDB_DIR=str(data),
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_SUPERUSER_PASSWORD="a-long-enough-password-1",
    )
    holder = subprocess.Popen(  # stands in for uvicorn: holds the database until stopped
        [
            sys.executable,
            "-m",
            "config.devdb",
            "run",
            "--",
            sys.executable,
            "-c",
            "import time; time.sleep(300)",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while running_url(data) is None:
            assert holder.poll() is None, holder.stdout.read() if holder.stdout else ""
            assert time.monotonic() < deadline, "the embedded database did not start"
            time.sleep(0.5)
        assert manage(env, "migrate", "--noinput").returncode == 0
        created = manage(env, "createsuperuser", "--noinput", "--email", "hr@example.test")
        assert created.returncode == 0, created.stderr
        seen = manage(
            env,
            "shell",
            "-c",
            "from apps.users.models import User; "
            "print(User.objects.filter(email='hr@example.test').count())",
        )
        assert seen.stdout.strip().splitlines()[-1] == "1", seen.stderr
    finally:
        holder.send_signal(signal.SIGTERM)
        output = holder.communicate(timeout=120)[0]
        subprocess.run(["rm", "-rf", str(base)], check=False)
    assert "stopping embedded PostgreSQL" in output
    assert running_url(data) is None
