"""The task queue (DESIGN.md §9): jobs deferred with the write that asks for them, run by a real
worker process (`manage.py procrastinate worker`, as `make run` and compose start it)."""

from __future__ import annotations

import pytest
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from apps.jobs.tasks import ping
from tests.processes import Worker


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_deferred_job():
    job_id = ping.defer(note="from the test")

    worker = Worker("--one-shot")
    try:
        assert worker.wait(timeout=90) == 0, worker.output()
    finally:
        worker.stop()

    job = ProcrastinateJob.objects.get(pk=job_id)
    assert job.status == "succeeded", worker.output()
    assert job.attempts == 1
    assert "pong from the test" in worker.output()


@pytest.mark.django_db
def test_a_job_exists_only_if_the_write_that_asked_for_it_commits():
    """Deferring goes through Django's connection, inside the caller's transaction."""

    def defer_then_fail() -> None:
        with transaction.atomic():
            ping.defer(note="rolled back")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        defer_then_fail()
    assert not ProcrastinateJob.objects.filter(args__note="rolled back").exists()

    with transaction.atomic():
        kept = ping.defer(note="kept")
    assert ProcrastinateJob.objects.get(pk=kept).status == "todo"
