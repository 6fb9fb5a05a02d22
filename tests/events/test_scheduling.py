"""How delivery jobs are queued: one due job and one scheduled retry per (webhook, shard); a
retry scheduled far ahead never holds back deliveries that are due now, and moves earlier when
an earlier retry falls due."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from procrastinate.contrib.django.models import ProcrastinateJob

from apps.events.delivery import backoff, lock_name, request_delivery

pytestmark = pytest.mark.django_db


def _jobs() -> list[ProcrastinateJob]:
    return list(
        ProcrastinateJob.objects.filter(
            task_name="apps.events.tasks.deliver", status="todo"
        ).order_by("id")
    )


def test_one_due_job_per_webhook_and_shard():
    request_delivery(7, 3)
    request_delivery(7, 3)
    request_delivery(7, 4)
    jobs = _jobs()
    assert [(j.args["webhook_id"], j.args["shard"]) for j in jobs] == [(7, 3), (7, 4)]
    assert jobs[0].lock == lock_name(7, 3) == jobs[0].queueing_lock


def test_a_retry_far_ahead_does_not_hold_back_due_deliveries():
    later = timezone.now() + dt.timedelta(hours=6)
    request_delivery(7, 3, at=later)
    request_delivery(7, 3)  # new events are due now: queued beside the scheduled retry
    jobs = _jobs()
    assert len(jobs) == 2
    assert {j.queueing_lock for j in jobs} == {lock_name(7, 3), lock_name(7, 3) + ":later"}
    assert {j.lock for j in jobs} == {lock_name(7, 3)}  # still one at a time


def test_an_earlier_retry_moves_the_scheduled_job_earlier():
    now = timezone.now()
    request_delivery(7, 3, at=now + dt.timedelta(hours=6))
    request_delivery(7, 3, at=now + dt.timedelta(seconds=5))
    request_delivery(7, 3, at=now + dt.timedelta(hours=1))
    (job,) = _jobs()
    assert job.scheduled_at == now + dt.timedelta(seconds=5)


def test_backoff_grows_fourfold_and_is_capped(settings):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5
    waits = [backoff(n).total_seconds() for n in range(1, 10)]
    assert waits[:5] == [5, 20, 80, 320, 1280]
    assert max(waits) == 6 * 3600


def test_production_refuses_plain_http_and_private_receivers_by_default():
    from tests.core.test_settings import PROD, production_env, settings_of

    values = settings_of(PROD, production_env(), "WEBHOOK_REQUIRE_HTTPS", "WEBHOOK_ALLOW_PRIVATE")
    assert values == {"WEBHOOK_REQUIRE_HTTPS": True, "WEBHOOK_ALLOW_PRIVATE": False}
