"""The import jobs (apps/jobs): the dry run after an upload, the commit after a confirm. Each
may run again from the start (a worker killed mid-way): the dry run redoes its rows, the commit
is one transaction that a killed worker left unwritten."""

from __future__ import annotations

from typing import Any

from django.db import connection

from apps.imports import engine
from apps.imports.models import Import
from apps.jobs.queue import MAX_ATTEMPTS, task

QUEUE = "imports"


def _run(context: Any, import_id: int, step: Any) -> None:
    try:
        upload = Import.objects.select_related("created_by", "committed_by").get(pk=import_id)
    except Import.DoesNotExist:
        return
    try:
        step(upload)
    except Exception:
        if context.job.attempts >= MAX_ATTEMPTS:  # the last retry
            engine.mark_failed(
                import_id, "The import stopped on an internal error; see the server log."
            )
        raise
    finally:
        if not connection.in_atomic_block:  # a worker's thread keeps no connection open
            connection.close()


@task(queue=QUEUE, pass_context=True)
def validate_import(context: Any, import_id: int) -> None:
    _run(context, import_id, engine.validate)


@task(queue=QUEUE, pass_context=True)
def commit_import(context: Any, import_id: int) -> None:
    _run(context, import_id, lambda upload: engine.commit(upload, actor=upload.committed_by))
