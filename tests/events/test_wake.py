"""The dispatcher is woken by the writes that make events: after a transaction that wrote an
audited table commits (once per transaction, one job queued at a time), never for a rollback or
for writes to other tables."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from procrastinate.contrib.django.models import ProcrastinateJob

from apps.core.models import IdempotencyKey
from apps.events.dispatch import audited_tables
from tests.factories.org import make_unit

pytestmark = pytest.mark.django_db(transaction=True)

TASK = "apps.events.tasks.dispatch_events"


@pytest.fixture(autouse=True)
def _no_jobs_queued():
    """The queue's tables are not Django's to flush: clear what earlier tests queued."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM procrastinate_jobs WHERE status = 'todo'")


def _queued() -> int:
    return ProcrastinateJob.objects.filter(task_name=TASK, status="todo").count()


def test_a_committed_write_queues_one_dispatch():
    assert _queued() == 0
    with transaction.atomic():
        make_unit()
        make_unit()
    assert _queued() == 1
    make_unit()  # another commit while one dispatch is queued: still one
    assert _queued() == 1


def test_a_rolled_back_write_queues_nothing():
    def write_then_fail() -> None:
        with transaction.atomic():
            make_unit()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert _queued() == 0


def test_writes_to_tables_without_events_queue_nothing():
    IdempotencyKey.objects.all().delete()
    assert _queued() == 0


def test_the_audited_tables_are_the_captured_ones_and_the_logs():
    tables = audited_tables()
    assert {
        "org_orgunit",
        "assignments_assignment",
        "offer_ledgerentry",
        "fsm_employeetransitionlog",
        "tags_tagchangelog",
        "events_webhook",
        "events_event",
    } <= tables
    assert "events_delivery" not in tables
    assert "core_idempotencykey" not in tables
