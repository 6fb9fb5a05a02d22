"""Imports run on the task queue; here its jobs are run in the test's own transaction, in
order, as a worker would run them (tests/imports/test_worker.py runs a real worker)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from procrastinate.contrib.django.models import ProcrastinateJob
from rest_framework.test import APIClient

from apps.fsm.services import transition_apply
from apps.imports import tasks
from apps.imports.models import Import
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import make_tag

TASKS = {
    "apps.imports.tasks.validate_import": tasks.validate_import,
    "apps.imports.tasks.commit_import": tasks.commit_import,
}


class _Context:
    class job:  # noqa: N801 - stands in for procrastinate's JobContext.job
        attempts = 0


def run_jobs() -> int:
    """Run the queued import jobs (and those they queue) in order; how many ran."""
    ran = 0
    while True:
        job = (
            ProcrastinateJob.objects.filter(status="todo", task_name__in=TASKS)
            .order_by("id")
            .first()
        )
        if job is None:
            return ran
        with connection.cursor() as cursor:
            cursor.execute("UPDATE procrastinate_jobs SET status = 'doing' WHERE id = %s", [job.pk])
        TASKS[job.task_name].func(_Context(), **job.args)  # type: ignore[attr-defined]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE procrastinate_jobs SET status = 'succeeded' WHERE id = %s", [job.pk]
            )
        ran += 1


def upload(client: APIClient, kind: str, content: bytes | str, name: str = "file.csv") -> Any:
    """POST imports/ with a file, as a browser form sends it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    if isinstance(content, str):
        content = content.encode()
    return client.post(
        "/api/v1/imports/",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
        format="multipart",
    )


def dry_run(client: APIClient, kind: str, content: bytes | str, name: str = "file.csv") -> dict:
    """Upload and run the dry run; the import as the API then shows it."""
    response = upload(client, kind, content, name)
    assert response.status_code == 202, response.content
    run_jobs()
    return client.get(f"/api/v1/imports/{response.json()['id']}/").json()


def commit(client: APIClient, import_id: int, partial: bool = False) -> dict:
    response = client.post(f"/api/v1/imports/{import_id}/commit/", {"partial": partial})
    assert response.status_code == 202, response.content
    run_jobs()
    return client.get(f"/api/v1/imports/{import_id}/").json()


def rows(client: APIClient, import_id: int, status: str | None = None) -> list[dict]:
    params = {"page_size": 100, **({"status": status} if status else {})}
    response = client.get(f"/api/v1/imports/{import_id}/rows/", params)
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def imports_of():
    return lambda: list(Import.objects.order_by("id"))


@pytest.fixture
def refs(admin_user):
    """What the files of tests/imports/cases.py name: a unit, an active employee, a position and a
    tag."""
    unit = make_unit("K-UNIT")
    employee = make_employee(unit, employee_number="K-E1", hire_date=dt.date(2026, 1, 5))
    for name in ("start_onboarding", "activate"):  # the default rules assign active employees
        employee, _ = transition_apply(subject=employee, transition=name, actor=admin_user)
    position = make_position(unit, code="K-P1")
    tag = make_tag("k-tag")
    return unit, employee, position, tag
