"""`make bench` prints where a list request's CPU goes (issue 21, item 3): the server's event
loops against its request threads, from /proc, without counting the supervisor."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bench.load import machine_idle, worker_cpu

pytestmark = pytest.mark.django_db  # the suite clears the (database) cache around each test

# A worker: 0.6 s of CPU on a second thread, 0.3 s on its main thread, then it waits.
WORKER = """
import sys, threading, time
def burn(seconds):
    while time.thread_time() < seconds:
        pass
helper = threading.Thread(target=burn, args=(0.6,))
helper.start(); helper.join()
burn(0.3)
print("ready", flush=True)
sys.stdin.read()
"""
# The supervisor: 0.5 s of CPU of its own (not a worker's), then one worker.
SUPERVISOR = f"""
import subprocess, sys, time
while time.thread_time() < 0.5:
    pass
subprocess.run([sys.executable, "-c", {WORKER!r}])
"""


def test_worker_cpu_splits_main_and_other_threads_and_leaves_out_the_supervisor() -> None:
    server = subprocess.Popen(
        [sys.executable, "-c", SUPERVISOR],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        start_new_session=True,
        text=True,
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline() == "ready\n"
        main, other = worker_cpu(server.pid)
    finally:
        server.communicate("", timeout=30)
    assert 0.25 <= main <= 0.45  # the worker's main thread, not the supervisor's 0.5 s
    assert 0.55 <= other <= 0.8  # the worker's second thread
    assert worker_cpu(server.pid) == (0, 0)  # ended: nothing left to count


def test_machine_idle_counts_up() -> None:
    first, second = machine_idle(), machine_idle()
    assert 0 <= first[1] <= first[0]
    assert second[0] >= first[0]
    assert second[1] >= first[1]
