"""`make run`'s last steps (config/serve.py): migrate, demo data once, then uvicorn until Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from config import serve


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: nothing here touches the database."""


class FakeRun:
    """Stands in for subprocess.run; records the commands and answers with given exit codes."""

    def __init__(self, codes: dict[str, int] | None = None, interrupt_on: str | None = None):
        self.calls: list[tuple[list[str], dict[str, str]]] = []
        self.codes = codes or {}
        self.interrupt_on = interrupt_on

    def __call__(self, cmd, env, check):
        self.calls.append((list(cmd), dict(env)))
        step = cmd[2] if cmd[1] == "manage.py" else "uvicorn"
        if step == self.interrupt_on:
            raise KeyboardInterrupt
        return subprocess.CompletedProcess(cmd, self.codes.get(step, 0))

    @property
    def steps(self) -> list[str]:
        return [c[2] if c[1] == "manage.py" else "uvicorn" for c, _ in self.calls]


class FakeWorker:
    """Stands in for subprocess.Popen (the task-queue worker): records its command and whether
    it was stopped."""

    started: list[FakeWorker] = []

    def __init__(self, cmd, env):
        self.cmd, self.env, self.signals = list(cmd), dict(env), []
        FakeWorker.started.append(self)

    def poll(self):
        return 0 if self.signals else None

    def send_signal(self, signum):
        self.signals.append(signum)

    def wait(self, timeout=None):
        return 0


@pytest.fixture(autouse=True)
def _fake_worker(monkeypatch):
    """serve.main's Popen is the worker's (subprocess.run, also Popen, is faked or real)."""
    FakeWorker.started = []
    real = subprocess.Popen

    def popen(cmd, *args, **kwargs):
        if "procrastinate" in cmd:
            return FakeWorker(cmd, kwargs["env"])
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(serve.subprocess, "Popen", popen)


def test_migrates_seeds_once_then_serves(monkeypatch, capsys):
    fake = FakeRun()
    monkeypatch.setattr(serve.subprocess, "run", fake)
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE", raising=False)

    assert serve.main(["--port", "9001"]) == 0

    assert fake.steps == ["migrate", "seed_demo", "uvicorn"]
    assert fake.calls[0][0] == [sys.executable, "manage.py", "migrate", "--noinput"]
    assert fake.calls[1][0] == [sys.executable, "manage.py", "seed_demo", "--if-empty"]
    uvicorn = fake.calls[2][0]
    assert uvicorn[:4] == [sys.executable, "-m", "uvicorn", "config.asgi:application"]
    assert uvicorn[uvicorn.index("--host") + 1] == "127.0.0.1"
    assert uvicorn[uvicorn.index("--port") + 1] == "9001"
    # Local settings, not config.asgi's production default.
    assert {env["DJANGO_SETTINGS_MODULE"] for _, env in fake.calls} == {"config.settings.local"}
    assert "serving on http://127.0.0.1:9001/" in capsys.readouterr().out
    # One task-queue worker beside uvicorn, with the same settings, stopped when uvicorn ends.
    (worker,) = FakeWorker.started
    assert worker.cmd[:4] == [sys.executable, "manage.py", "procrastinate", "worker"]
    assert worker.env["DJANGO_SETTINGS_MODULE"] == "config.settings.local"
    assert worker.signals == [signal.SIGTERM]


def test_job_workers_zero_runs_no_worker(monkeypatch):
    monkeypatch.setattr(serve.subprocess, "run", FakeRun())
    assert serve.main(["--job-workers", "0"]) == 0
    assert FakeWorker.started == []


def test_an_explicit_settings_module_is_kept(monkeypatch):
    fake = FakeRun()
    monkeypatch.setattr(serve.subprocess, "run", fake)
    monkeypatch.setenv("DJANGO_SETTINGS_MODULE", "config.settings.production")
    serve.main([])
    assert {env["DJANGO_SETTINGS_MODULE"] for _, env in fake.calls} == {
        "config.settings.production"
    }


@pytest.mark.parametrize("failing", ["migrate", "seed_demo"])
def test_a_failed_step_stops_before_serving(monkeypatch, failing):
    fake = FakeRun(codes={failing: 3})
    monkeypatch.setattr(serve.subprocess, "run", fake)
    assert serve.main([]) == 3
    assert "uvicorn" not in fake.steps


def test_ctrl_c_ends_cleanly(monkeypatch):
    fake = FakeRun(interrupt_on="uvicorn")
    monkeypatch.setattr(serve.subprocess, "run", fake)
    assert serve.main(["--job-workers", "2"]) == 0
    assert [w.signals for w in FakeWorker.started] == [[signal.SIGTERM], [signal.SIGTERM]]


def test_make_run_serves_with_the_documented_concurrency_knobs():
    """`make run` serves 2 workers × 4 threads by default; WORKERS and THREADS change it."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]

    def dry_run(*overrides: str) -> str:
        result = subprocess.run(
            ["make", "-n", "run", *overrides], cwd=root, capture_output=True, text=True, check=True
        )
        return result.stdout

    default = dry_run()
    assert "ASGI_THREADS=4" in default
    assert "--workers 2" in default
    assert "--job-workers 1" in default
    custom = dry_run("WORKERS=3", "THREADS=5")
    assert "ASGI_THREADS=5" in custom
    assert "--workers 3" in custom
