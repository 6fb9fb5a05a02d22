"""Imports on real task-queue workers (`manage.py procrastinate worker`): the dry run and the
commit run on a worker process; a worker SIGKILLed in the middle of a commit leaves nothing
half-written, and after another worker takes the stalled job the import is committed once and
the audit chains verify (issue 18's chaos test).

The chaos test commits CHAOS_IMPORT_ROWS rows (2,000 in the suite; `make chaos` runs 20,000)."""

from __future__ import annotations

import os

import pytest
from procrastinate.contrib.django.models import ProcrastinateJob

from apps.audit_log.verification import verify_all
from apps.imports import services
from apps.imports.models import Import
from apps.org.models import ContractHours, Employee
from tests.factories.org import make_unit
from tests.processes import Worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = int(os.environ.get("CHAOS_IMPORT_ROWS", "2000"))
# The stalled check every second; a worker silent for 2 s is dead (its heartbeat: every 10 s).
FAST_RECOVERY = {"JOBS_STALLED_AFTER_SECONDS": "2", "JOBS_STALLED_CHECK_CRON": "* * * * * *"}


def _csv(rows: int, prefix: str) -> bytes:
    lines = ["employee_number,first_name,last_name,org_unit,contract_hours,hire_date"]
    lines += [f"{prefix}{i:06d},Ann,Archer{i},CHAOS,40,2026-01-05" for i in range(rows)]
    return ("\n".join(lines) + "\n").encode()


def _state(upload: Import) -> str:
    upload.refresh_from_db()
    return upload.state


def test_a_worker_runs_the_dry_run_and_the_commit(admin_user):
    make_unit("CHAOS")
    upload = services.import_create(
        kind="employees", filename="w.csv", content=_csv(3, "W"), user=admin_user
    )
    worker = Worker(**FAST_RECOVERY)
    try:
        wait_until(lambda: _state(upload) == "validated", timeout=60)
        services.import_commit(upload=upload, partial=False, user=admin_user)
        wait_until(lambda: _state(upload) == "committed", timeout=60)
    finally:
        worker.stop()
    assert Employee.objects.filter(employee_number__startswith="W").count() == 3
    assert (upload.created, upload.rows_done, upload.rows_total) == (3, 3, 3)


def test_a_worker_killed_mid_commit_leaves_nothing_and_the_import_commits_once(admin_user):
    make_unit("CHAOS")
    upload = services.import_create(
        kind="employees", filename="chaos.csv", content=_csv(ROWS, "K"), user=admin_user
    )
    first = Worker(**FAST_RECOVERY)
    try:
        wait_until(lambda: _state(upload) == "validated", timeout=120)
        services.import_commit(upload=upload, partial=False, user=admin_user)
        # Progress is visible while the commit's own transaction is open (a second connection).
        wait_until(lambda: Import.objects.get(pk=upload.pk).rows_done >= ROWS // 4, timeout=300)
        first.kill()
    finally:
        first.stop()
    assert _state(upload) == "committing"
    assert not Employee.objects.filter(employee_number__startswith="K").exists()

    second = Worker(**FAST_RECOVERY)
    try:
        wait_until(lambda: _state(upload) in ("committed", "failed"), timeout=600, every=0.5)
    finally:
        second.stop()
    assert upload.state == "committed", (upload.error, second.output()[-3000:])
    assert upload.created == ROWS
    employees = Employee.objects.filter(employee_number__startswith="K")
    assert employees.count() == ROWS
    assert ContractHours.objects.filter(employee__in=employees).count() == ROWS  # once each
    (job,) = ProcrastinateJob.objects.filter(
        task_name="apps.imports.tasks.commit_import", args__import_id=upload.pk
    )
    assert (job.status, job.attempts) == ("succeeded", 2)  # killed once, then run again
    assert verify_all()["ok"]
