"""The short chaos run (the long one is `make chaos`): load on 2 uvicorn workers while one is
SIGKILLed and PostgreSQL restarts; nothing accepted is lost or doubled, chains verify."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def test_short_chaos_run_keeps_every_accepted_write_and_every_chain():
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/chaos.py"), "--seconds", "10", "--threads", "4"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = result.stdout
    assert result.returncode == 0, output[-3000:] + result.stderr[-3000:]
    assert "chaos: PASSED" in output
    assert "missing 0, doubled 0" in output
    assert "half-done transitions: 0" in output
    assert "the killed one was replaced" in output
