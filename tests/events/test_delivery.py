"""Webhook deliveries by real task-queue workers to a real HTTP receiver on 127.0.0.1 (issue 19,
DESIGN §10): CloudEvents in structured mode, signed per Standard Webhooks (checked with the
`standardwebhooks` package); retried with backoff, the attempts in the delivery log; a receiver
that hangs cut off by the timeout; in order per subject under four workers, a failing subject
holding back no other; dead after the retry window, the webhook disabled, turned back on and
the dead delivery retried by hand; both secrets signing during a rotation's overlap; and the
event delivered again, never lost, after a worker is SIGKILLed mid-delivery. The same run in
this process (the SSRF guard at delivery, the test ping) is in test_delivery_inline.py.

The workers run the production settings (tests/processes.py) with receivers on 127.0.0.1
allowed, plain http, and short timings: retries after 0.3 s, 1.2 s ... (production: 5 s, 20 s
...), and a worker looks for due jobs every 0.25 s (`--fetch-job-polling-interval`; production
polls every 5 s, which the 5 s backoff base hides but would swamp a 0.3 s one). Everything a
test waits for is bounded; receivers and workers stop with the test."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import random
import re
import signal
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook as Verifier
from standardwebhooks.webhooks import WebhookVerificationError

from apps.events.models import Attempt, Delivery, Event, Webhook
from apps.org.models import OrgUnit
from tests.events.receiver import Received, receiving
from tests.factories.org import make_unit
from tests.processes import Worker, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

# The key that encrypts signing secrets at rest: the same in this process (which creates the
# webhooks) and in the workers (which sign with them).
SECRET_KEY = "coveris-webhook-tests-secret-key"
WORKER_ENV = {
    "WEBHOOK_ALLOW_PRIVATE": "true",
    "WEBHOOK_REQUIRE_HTTPS": "false",
    "WEBHOOK_SECRET_KEY": SECRET_KEY,
    "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOK_TIMEOUT_SECONDS": "2",
}
WORKER_ARGS = ("--concurrency", "2", "--fetch-job-polling-interval", "0.25")
# A dead worker's jobs are taken back after 2 s, checked every second (tests/imports).
FAST_RECOVERY = {"JOBS_STALLED_AFTER_SECONDS": "2", "JOBS_STALLED_CHECK_CRON": "* * * * * *"}
UNIT_EVENTS = ["coveris.org_unit.*"]


@pytest.fixture(autouse=True)
def _webhooks_to_this_machine(settings):
    """This process saves webhooks on 127.0.0.1 over http, with the workers' secret key."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_REQUIRE_HTTPS = False
    settings.WEBHOOK_SECRET_KEY = SECRET_KEY


@contextmanager
def workers(count: int = 1, *args: str, **env: str) -> Iterator[list[Worker]]:
    """`count` worker processes for the block, each with WORKER_ENV and `env`; stopped together
    (SIGTERM to all, then each waited for)."""
    before = registered_workers()
    started = [Worker(*(args or WORKER_ARGS), **{**WORKER_ENV, **env}) for _ in range(count)]
    try:
        wait_until(lambda: registered_workers(before) >= count or any_ended(started), timeout=60)
        assert not any_ended(started), logs(started)
        yield started
    finally:
        for worker in started:
            if worker.process.poll() is None:
                os.killpg(worker.process.pid, signal.SIGTERM)
        for worker in started:
            worker.stop()


def registered_workers(after: int | None = None) -> int:
    """The id of the last worker registered (taking jobs); with `after`, how many registered
    since that one."""
    from django.db import connection

    with connection.cursor() as sql:
        if after is not None:
            sql.execute("SELECT count(*) FROM procrastinate_workers WHERE id > %s", [after])
        else:
            sql.execute("SELECT coalesce(max(id), 0) FROM procrastinate_workers")
        return int(sql.fetchone()[0])


def any_ended(started: list[Worker]) -> bool:
    return any(worker.process.poll() is not None for worker in started)


def logs(started: list[Worker]) -> str:
    """The workers' errors, each its message and its exception (or, without any, the end of
    their output), for a failure's message."""
    errors: dict[str, int] = {}
    for worker in started:
        for line in worker.output().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("level") != "ERROR":
                continue
            raised = [
                text
                for text in (record.get("exc_info") or "").splitlines()
                if re.match(r"[\w.]*(Error|Exception|Violation)\b", text)
            ]
            message = re.sub(r"\[\d+\].*", "", record.get("message", ""))
            key = f"{message[:200]} | {''.join(raised[-1:])[:300]}"
            errors[key] = errors.get(key, 0) + 1
    if errors:
        return "\n".join(f"{count} × {key}" for key, count in errors.items())
    return "\n".join(w.output()[-2000:] for w in started)


def queue_state() -> str:
    """The deliveries by state and the event jobs not finished, for a failure's message."""
    from django.db.models import Count
    from procrastinate.contrib.django.models import ProcrastinateJob

    states = dict(
        Delivery.objects.values_list("state").annotate(n=Count("id")).values_list("state", "n")
    )
    jobs = [
        f"{j.id} {j.task_name.rsplit('.', 1)[-1]} {j.status} {j.lock or ''}"
        f" at {j.scheduled_at or 'once free'} attempts {j.attempts}"
        for j in ProcrastinateJob.objects.filter(queue_name="events")
        .exclude(status__in=["succeeded"])
        .order_by("id")
    ]
    pending = [
        f"delivery {d.pk} {d.webhook_id}/{d.shard} {d.subject} attempts {d.attempts} "
        f"next {d.next_attempt_at:%H:%M:%S.%f} {d.last_error}"
        for d in Delivery.objects.filter(state="pending").order_by("id")[:20]
    ]
    locks = {f"webhook-{d.webhook_id}-{d.shard}" for d in Delivery.objects.filter(state="pending")}
    for j in ProcrastinateJob.objects.filter(lock__in=locks).order_by("id"):
        jobs.append(f"{j.id} {j.status} {j.lock} at {j.scheduled_at} attempts {j.attempts}")
    return (
        f"now {timezone.now():%H:%M:%S.%f}, deliveries {states}:\n"
        + "\n".join(pending)
        + "\njobs:\n"
        + "\n".join(jobs)
    )


def create_webhook(client, url: str, **fields) -> dict:
    """POST webhooks/ as an HR admin: the answer, its secret included (shown this once)."""
    body = {"url": url, "event_types": UNIT_EVENTS, **fields}
    response = client.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["secret"].startswith("whsec_")
    return created


def deliveries(client, webhook_id: int) -> list[dict]:
    response = client.get(f"/api/v1/webhooks/{webhook_id}/deliveries/")
    assert response.status_code == 200, response.content
    return response.json()["results"]


def settled(webhook_id: int, count: int = 1) -> bool:
    """At least `count` deliveries of the webhook, none pending."""
    rows = Delivery.objects.filter(webhook_id=webhook_id)
    return rows.count() >= count and not rows.filter(state="pending").exists()


def settled_within(webhook_id: int, count: int = 1, timeout: float = 10) -> bool:
    try:
        wait_until(lambda: settled(webhook_id, count), timeout=timeout)
    except AssertionError:
        return False
    return True


def rename(unit: OrgUnit, name: str) -> None:
    """An ORM write, captured like every other (one transaction, one event)."""
    unit.name = name
    unit.save(update_fields=["name"])


# --- signed CloudEvents ---------------------------------------------------------------------------


def test_a_delivery_is_a_cloudevent_signed_per_standard_webhooks(as_admin):
    with receiving() as receiver, workers() as started:
        hook = create_webhook(as_admin, receiver.url, event_types=["coveris.org_unit.created"])
        before = time.time()
        unit = make_unit("SIGNED", name="Signed")
        (got,) = receiver.wait_answered(1, timeout=20) or [None]
        assert got is not None, logs(started)
        assert settled_within(hook["id"]), queue_state() + logs(started)
        time.sleep(0.3)
        assert len(receiver.snapshot()) == 1  # once: not sent again after the 200

    event = Event.objects.get(subject=f"org_unit/{unit.pk}", type="coveris.org_unit.created")
    payload = Verifier(hook["secret"]).verify(got.body, got.headers)
    assert payload == got.json()
    assert got.header("content-type") == "application/cloudevents+json"
    assert got.header("webhook-id") == event.uid == payload["id"]
    assert before - 5 <= int(got.header("webhook-timestamp")) <= time.time() + 1
    assert got.path == "/hook"
    assert payload["specversion"] == "1.0"
    assert payload["source"] == "urn:coveris"
    assert payload["type"] == "coveris.org_unit.created"
    assert payload["subject"] == f"org_unit/{unit.pk}"
    assert dt.datetime.fromisoformat(payload["time"]) == event.time
    assert payload["data"]["changes"]["code"] == [None, "SIGNED"]
    assert payload["data"]["entity_id"] == unit.pk
    # The signature covers the body and needs the secret.
    with pytest.raises(WebhookVerificationError):
        Verifier(hook["secret"]).verify(got.body.replace(b"SIGNED", b"FORGED"), got.headers)
    other = create_webhook(as_admin, receiver.url)["secret"]
    with pytest.raises(WebhookVerificationError):
        Verifier(other).verify(got.body, got.headers)

    (row,) = deliveries(as_admin, hook["id"])
    assert (row["state"], row["attempts"], row["last_status"]) == ("delivered", 1, 200)
    assert row["event_id"] == event.uid
    assert [a["status_code"] for a in row["attempt_log"]] == [200]


# --- retries, timeouts ----------------------------------------------------------------------------


def test_a_receiver_answering_500_then_200_gets_the_event_twice_and_the_log_shows_both(as_admin):
    answers = iter([500])
    with receiving(lambda _: next(answers, 200)) as receiver, workers() as started:
        hook = create_webhook(as_admin, receiver.url, event_types=["coveris.org_unit.created"])
        make_unit("RETRIED")
        got = receiver.wait_answered(1, timeout=20)
        assert settled_within(hook["id"]), queue_state() + logs(started)

    assert [r.status for r in got] == [500, 200], logs(started)
    assert got[0].body == got[1].body  # the same event ...
    assert got[0].header("webhook-id") == got[1].header("webhook-id")  # ... under the same id
    for received in got:
        Verifier(hook["secret"]).verify(received.body, received.headers)
    assert got[1].at - got[0].at >= 0.3  # WEBHOOK_RETRY_BASE_SECONDS later

    (row,) = deliveries(as_admin, hook["id"])
    assert (row["state"], row["attempts"], row["last_status"], row["last_error"]) == (
        "delivered",
        2,
        200,
        "",
    )
    log = row["attempt_log"]
    assert [a["status_code"] for a in log] == [500, 200]
    assert [a["error"] for a in log] == ["answered 500", ""]
    assert all(0 <= a["duration_ms"] < 2000 for a in log)
    first, second = (dt.datetime.fromisoformat(a["at"]) for a in log)
    assert second - first >= dt.timedelta(seconds=0.3)
    assert row["delivered_at"] is not None


def test_a_receiver_that_hangs_is_cut_off_by_the_timeout_and_the_delivery_retried(as_admin):
    hung = threading.Event()

    def answer(_: Received) -> int:
        if not hung.is_set():
            hung.set()
            receiver.hang(5)  # far past the worker's 1 s timeout
        return 200

    with receiving(answer) as receiver, workers(WEBHOOK_TIMEOUT_SECONDS="1") as started:
        hook = create_webhook(as_admin, receiver.url, event_types=["coveris.org_unit.created"])
        make_unit("HANGS")
        got = receiver.wait_for(2, timeout=20)
        assert settled_within(hook["id"]), queue_state() + logs(started)

    assert len(got) == 2, logs(started)
    assert got[0].header("webhook-id") == got[1].header("webhook-id")
    (row,) = deliveries(as_admin, hook["id"])
    assert (row["state"], row["attempts"]) == ("delivered", 2)
    cut_off, retried = row["attempt_log"]
    assert cut_off["status_code"] is None
    assert cut_off["error"].startswith("timed out"), cut_off["error"]
    assert 900 <= cut_off["duration_ms"] < 2500, cut_off["duration_ms"]
    assert (retried["status_code"], retried["error"]) == (200, "")
    # Cut off after 1 s, not 5: then the backoff (0.3 s) before the retry, counted from the
    # failure, so that a receiver too slow to answer is not asked again at once.
    gap = got[1].at - got[0].at
    assert 1.0 + 0.3 <= gap < 4, f"retried {gap:.2f} s after the first request was sent"


# --- order per subject ----------------------------------------------------------------------------

SUBJECTS = 20
UPDATES = 10
HOOKS = 3


def test_order_per_subject_holds_under_four_workers_and_a_flaky_receiver(settings, as_admin):
    """20 org units, each created then renamed 10 times (the renames interleaved across units,
    one transaction each), to 3 webhooks, delivered by 4 worker processes (2 jobs at a time
    each) to a receiver that takes up to 30 ms and answers 500 to a quarter of first attempts.
    Per webhook and subject, no event is sent before the one written before it was answered
    200, and none is taken twice."""
    settings.WEBHOOK_SHARDS = 2
    rng = random.Random(19)
    attempted: set[tuple[str, str]] = set()
    guard = threading.Lock()

    def flaky(received: Received) -> int:
        key = (received.path, received.header("webhook-id"))
        with guard:
            first = key not in attempted
            attempted.add(key)
            fail, pause = first and rng.random() < 0.25, rng.random() * 0.03
        time.sleep(pause)  # jobs that take a while overlap: any two on one shard would show
        return 500 if fail else 200

    expected_deliveries = HOOKS * SUBJECTS * (1 + UPDATES)
    # Two shards: ten subjects share each, so jobs of one (webhook, shard) keep being asked
    # for while one runs.
    with receiving(flaky) as receiver, workers(4, WEBHOOK_SHARDS="2") as started:
        hooks = [create_webhook(as_admin, f"{receiver.url}/{n}") for n in range(HOOKS)]
        units = [make_unit(f"ORD{i:02d}", name=f"ORD{i:02d} v0") for i in range(SUBJECTS)]
        for version in range(1, UPDATES + 1):
            for unit in units:
                rename(unit, f"{unit.code} v{version}")

        def all_delivered(requests: list[Received]) -> bool:
            return len({(r.path, r.body) for r in requests if r.status == 200}) >= (
                expected_deliveries
            )

        requests = receiver.wait_until(all_delivered, timeout=60)
        for hook in hooks:
            assert settled_within(hook["id"], SUBJECTS * (1 + UPDATES), 15), (
                queue_state() + "\n" + logs(started)
            )

    # The order they were written in: the outbox's, (xid, id), matches the renames' order.
    written: dict[str, list[str]] = defaultdict(list)
    for event in Event.objects.filter(type__startswith="coveris.org_unit.").order_by("xid", "id"):
        written[event.subject].append(event.uid)
        if event.type == "coveris.org_unit.updated":
            version = len(written[event.subject]) - 1
            assert event.data["changes"]["name"][1].endswith(f" v{version}")
    assert len(written) == SUBJECTS
    assert all(len(uids) == 1 + UPDATES for uids in written.values())

    streams: dict[tuple[str, str], list[Received]] = defaultdict(list)
    for received in requests:
        streams[(received.path, received.json()["subject"])].append(received)
    assert len(streams) == HOOKS * SUBJECTS
    out_of_order = []
    for (path, subject), sent in streams.items():
        expected = written[subject]
        delivered = 0  # how many of the subject's events the receiver has taken, in order
        for received in sent:
            index = expected.index(received.header("webhook-id"))
            if index > delivered:  # sent before an earlier event was taken
                out_of_order.append((path, subject, expected[delivered], received.json()["id"]))
            if index == delivered and received.status == 200:
                delivered += 1
        assert delivered == len(expected), (path, subject)
    assert out_of_order == []
    # No worker died and every answer came in time: none was taken twice.
    taken = [(r.path, r.header("webhook-id")) for r in requests if r.status == 200]
    assert len(taken) == len(set(taken)) == expected_deliveries

    assert Delivery.objects.filter(state="delivered").count() == expected_deliveries
    failed_first = Attempt.objects.filter(status_code=500).count()
    assert failed_first > 0.1 * expected_deliveries  # the receiver did fail, and was retried
    busy = [w for w in started if "apps.events.tasks.deliver[" in w.output()]
    assert len(busy) >= 2, "the deliveries ran on one worker only"


def test_a_failing_subject_does_not_hold_back_the_other_subjects_of_its_shard(settings, as_admin):
    """One subject's delivery fails and waits for its retry (4 s away); an event about another
    subject of the same shard (one shard here) is delivered at once, not after that retry."""
    settings.WEBHOOK_SHARDS = 1

    def answer(received: Received) -> int:
        return 500 if received.json()["data"]["changes"]["code"][1] == "STUCK" else 200

    env = {"WEBHOOK_SHARDS": "1", "WEBHOOK_RETRY_BASE_SECONDS": "4"}
    with receiving(answer) as receiver, workers(**env) as started:
        create_webhook(as_admin, receiver.url, event_types=["coveris.org_unit.created"])
        stuck = make_unit("STUCK")
        receiver.wait_for(1, timeout=20)
        wait_until(lambda: Delivery.objects.filter(attempts=1).exists(), timeout=10)
        time.sleep(0.5)  # the job that made the attempt has ended, its retry queued
        written = time.monotonic()
        other = make_unit("FLOWING")
        got = receiver.wait_until(lambda rs: any(r.status == 200 for r in rs), timeout=10)
        state = queue_state()

    taken = [r for r in got if r.status == 200]
    assert taken, logs(started)
    assert taken[0].json()["subject"] == f"org_unit/{other.pk}"
    waited = taken[0].at - written
    assert waited < 2, f"delivered {waited:.1f} s after it was written:\n{state}"
    # Meanwhile the failing subject was not tried again (its retry is 4 s away).
    assert [r.json()["subject"] for r in got if r.status == 500] == [f"org_unit/{stuck.pk}"]


# --- dead letters, auto-disable, manual retry, test ping ------------------------------------------


def test_a_delivery_failing_for_the_whole_window_is_dead_and_the_webhook_disabled_then_retried(
    as_admin,
):
    """WEBHOOK_RETRY_WINDOW_SECONDS=1: attempts at 0, 0.2 and 1.0 s (backoff 0.2, 0.8) all
    answered 500 -> dead, and the webhook, failing that long, is disabled with a reason. Turned
    back on, it takes later events (the dead one holds nothing back); the dead delivery is
    delivered by a manual retry once the receiver is healthy."""
    healthy = threading.Event()
    env = {"WEBHOOK_RETRY_WINDOW_SECONDS": "1", "WEBHOOK_RETRY_BASE_SECONDS": "0.2"}
    with (
        receiving(lambda _: 200 if healthy.is_set() else 500) as receiver,
        workers(**env) as started,
    ):
        hook = create_webhook(as_admin, receiver.url)
        doomed = make_unit("DOOMED")
        assert settled_within(hook["id"], timeout=15), queue_state() + logs(started)
        failed = receiver.snapshot()

        (dead,) = deliveries(as_admin, hook["id"])
        assert (dead["state"], dead["last_status"], dead["last_error"]) == (
            "dead",
            500,
            "answered 500",
        )
        assert dead["attempts"] == len(failed) >= 3
        assert [a["status_code"] for a in dead["attempt_log"]] == [500] * len(failed)
        starts = [dt.datetime.fromisoformat(a["at"]) for a in dead["attempt_log"]]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(starts)]
        assert gaps[0] >= 0.2, gaps  # exponential backoff: 0.2 s, then 0.8 s
        assert gaps[1] >= 0.8, gaps
        assert starts[-1] - starts[0] >= dt.timedelta(seconds=1)  # the whole window
        assert {r.header("webhook-id") for r in failed} == {dead["event_id"]}
        listed = as_admin.get(f"/api/v1/webhooks/{hook['id']}/deliveries/?state=dead").json()
        assert [d["id"] for d in listed["results"]] == [dead["id"]]

        disabled = as_admin.get(f"/api/v1/webhooks/{hook['id']}/").json()
        assert disabled["active"] is False
        assert disabled["disabled_reason"].startswith("Disabled automatically"), disabled
        assert "answered 500" in disabled["disabled_reason"]
        assert Event.objects.filter(
            subject=f"webhook/{hook['id']}", type="coveris.webhook.updated"
        ).exists()  # the disabling is recorded, as every change is

        # Healthy again, and turned back on: later events flow, the dead one stays dead.
        healthy.set()
        response = as_admin.patch(
            f"/api/v1/webhooks/{hook['id']}/", {"active": True}, format="json"
        )
        assert response.status_code == 200, response.content
        assert (response.json()["active"], response.json()["disabled_reason"]) == (True, "")
        rename(doomed, "Doomed, renamed")
        later = make_unit("LATER")
        receiver.wait_answered(2, timeout=15)
        assert settled_within(hook["id"], 3), queue_state()
        after = receiver.snapshot()[len(failed) :]
        assert sorted(r.json()["subject"] for r in after) == sorted(
            [f"org_unit/{doomed.pk}", f"org_unit/{later.pk}"]
        )
        assert Delivery.objects.get(pk=dead["id"]).state == "dead"

        # A manual retry of the dead delivery: 202, then delivered.
        response = as_admin.post(
            f"/api/v1/webhooks/{hook['id']}/deliveries/{dead['id']}/retry/", format="json"
        )
        assert response.status_code == 202, response.content
        assert response.json()["state"] == "pending"
        retried = receiver.wait_answered(3, timeout=15)
        assert settled_within(hook["id"], 3), queue_state()

    assert retried[-1].header("webhook-id") == dead["event_id"]
    Verifier(hook["secret"]).verify(retried[-1].body, retried[-1].headers)
    row = next(d for d in deliveries(as_admin, hook["id"]) if d["id"] == dead["id"])
    assert row["state"] == "delivered"
    assert [a["status_code"] for a in row["attempt_log"]] == [500] * len(failed) + [200]
    webhook = Webhook.objects.get(pk=hook["id"])
    assert (webhook.active, webhook.failing_since) == (True, None)


# --- secrets --------------------------------------------------------------------------------------


def test_a_rotated_secret_signs_beside_the_old_one_for_the_overlap_then_alone(as_admin):
    with receiving() as receiver, workers() as started:
        hook = create_webhook(as_admin, receiver.url)
        old = hook["secret"]
        unit = make_unit("ROTATE")
        (first,) = receiver.wait_answered(1, timeout=20) or [None]
        assert first is not None, logs(started)

        response = as_admin.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret/", {}, format="json")
        assert response.status_code == 200, response.content
        new = response.json()["secret"]
        assert new.startswith("whsec_")
        assert new != old
        expires = dt.datetime.fromisoformat(response.json()["previous_secret_expires_at"])
        assert abs(expires - (timezone.now() + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
        rename(unit, "During the overlap")
        during = receiver.wait_answered(2, timeout=20)[-1]

        response = as_admin.post(
            f"/api/v1/webhooks/{hook['id']}/rotate-secret/", {"overlap_hours": 0}, format="json"
        )
        assert response.status_code == 200, response.content
        newest = response.json()["secret"]
        assert response.json()["previous_secret_expires_at"] is None
        rename(unit, "After the overlap")
        after = receiver.wait_answered(3, timeout=20)[-1]

    shown = as_admin.get(f"/api/v1/webhooks/{hook['id']}/").json()
    assert "secret" not in shown  # shown once, in the answers above only
    Verifier(old).verify(first.body, first.headers)
    assert during.json()["data"]["changes"]["name"][1] == "During the overlap"
    assert len(during.header("webhook-signature").split()) == 2
    Verifier(old).verify(during.body, during.headers)  # receivers not yet switched
    Verifier(new).verify(during.body, during.headers)  # receivers already switched
    assert after.json()["data"]["changes"]["name"][1] == "After the overlap"
    assert len(after.header("webhook-signature").split()) == 1
    Verifier(newest).verify(after.body, after.headers)
    for retired in (old, new):
        with pytest.raises(WebhookVerificationError):
            Verifier(retired).verify(after.body, after.headers)


# --- chaos ----------------------------------------------------------------------------------------


def _blocking_first_request() -> tuple[threading.Event, object]:
    released = threading.Event()
    seen = threading.Event()

    def answer(_: Received) -> int:
        if not seen.is_set():
            seen.set()
            released.wait(30)  # the worker is killed meanwhile: this answer reaches nobody
        return 200

    return released, answer


def _running_deliver_job():
    from procrastinate.contrib.django.models import ProcrastinateJob

    return ProcrastinateJob.objects.filter(
        task_name="apps.events.tasks.deliver", status="doing"
    ).first()


def test_a_worker_killed_mid_delivery_delivers_the_event_again_after_restart(as_admin):
    released, answer = _blocking_first_request()
    with receiving(answer) as receiver:
        first = Worker(*WORKER_ARGS, **WORKER_ENV)
        try:
            hook = create_webhook(as_admin, receiver.url)
            unit = make_unit("KILLED")
            assert receiver.wait_for(1, timeout=20), logs([first])
            job = _running_deliver_job()
            first.kill()  # SIGKILL while the receiver holds the request
        finally:
            released.set()
            first.stop()
        assert job is not None
        (pending,) = Delivery.objects.filter(webhook_id=hook["id"])
        assert (pending.state, pending.attempts) == ("pending", 0)  # nothing recorded

        with workers(**FAST_RECOVERY) as started:
            got = receiver.wait_for(2, timeout=30)
            assert settled_within(hook["id"], timeout=10), queue_state() + logs(started)

    event = Event.objects.get(subject=f"org_unit/{unit.pk}")
    assert len(got) >= 2
    assert {r.header("webhook-id") for r in got} == {event.uid}  # the same event, again
    for received in got:
        Verifier(hook["secret"]).verify(received.body, received.headers)
    pending.refresh_from_db()
    assert (pending.state, pending.last_status) == ("delivered", 200)
    job.refresh_from_db()
    assert job.status == "succeeded"
    assert job.attempts >= 2  # killed once, then run again


def test_a_worker_killed_mid_delivery_while_more_events_wait_loses_none(as_admin):
    """As above, with the subject's next event written while the first is being delivered (its
    delivery job waits for the running one's lock): after the restart, both are delivered, in
    order."""
    released, answer = _blocking_first_request()
    with receiving(answer) as receiver:
        first = Worker(*WORKER_ARGS, **WORKER_ENV)
        try:
            hook = create_webhook(as_admin, receiver.url)
            unit = make_unit("KILLED")
            assert receiver.wait_for(1, timeout=20), logs([first])
            rename(unit, "Written while the first was being delivered")
            wait_until(lambda: Delivery.objects.filter(webhook_id=hook["id"]).count() == 2, 10)
            time.sleep(0.3)  # the second delivery's job is queued behind the running one
            first.kill()
        finally:
            released.set()
            first.stop()

        with workers(**FAST_RECOVERY) as started:
            receiver.wait_answered(2, timeout=12)  # taken back within ~5 s
            delivered = settled_within(hook["id"], 2, timeout=3)
            state = queue_state()
            output = logs(started)

    assert delivered, state + "\n" + output
    uids = list(
        Event.objects.filter(subject=f"org_unit/{unit.pk}")
        .order_by("xid", "id")
        .values_list("uid", flat=True)
    )
    taken = [r.header("webhook-id") for r in receiver.snapshot() if r.status == 200]
    assert list(dict.fromkeys(taken)) == uids
