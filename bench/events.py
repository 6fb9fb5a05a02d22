"""`make bench-events`: 10,000 events fanned out to 3 webhook receivers on 127.0.0.1 by real
task-queue workers (issue 19), in one run.

Sets up BENCH_SUBJECTS (200) org units and 3 webhooks (coveris.org_unit.updated), each on its
own threaded `http.server` receiver in this process (tests/events/receiver.py), and starts
BENCH_WORKERS (2) worker processes, `manage.py procrastinate worker --concurrency 2` as compose
runs them, under the production settings (receivers on 127.0.0.1 allowed, plain http). Then
writes BENCH_EVENTS (10,000) events as renames of the units, 20 units per transaction (one
UPDATE statement, captured row by row into the outbox), each transaction's commit time noted,
twice:
  - burst: as fast as this process writes them; the deliveries/s is what the workers sustain
    through a backlog;
  - paced: at BENCH_RATE (200) events/s, 600 deliveries/s offered, above the 500 target; the
    latency is what a receiver sees under a load the workers keep up with.
For each: events/s written, deliveries/s and events/s delivered (from the first commit to the
last delivery), and the delivery latency from commit (receive time - commit time of the
event's transaction): p50, p95, p99, max; the targets of issue 19 (>= 500 deliveries/s, p95 < 2
s) as met or not. Every delivery is checked: once at least, in order per webhook and subject,
with a signature that verifies. Nothing here fails a build; it stops by itself.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/coveris_bench .venv/bin/python bench/events.py
"""

from __future__ import annotations

import argparse
import os
import resource
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import ExitStack
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
# The key that encrypts the signing secrets: the same here (which creates the webhooks) and in
# the workers (which sign with them).
os.environ.setdefault("WEBHOOK_SECRET_KEY", secrets.token_urlsafe(32))
os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE", "true")
os.environ.setdefault("WEBHOOK_REQUIRE_HTTPS", "false")

EVENT_TYPE = "coveris.org_unit.updated"
PREFIX = "BENCH-EV-"
PER_TRANSACTION = 20
TARGET_DELIVERIES_PER_SECOND = 500
TARGET_P95_SECONDS = 2.0


def _setup() -> None:
    import django

    django.setup()


def worker_env(database_url: str) -> dict[str, str]:
    """A worker's whole environment: the production settings against this run's database, as
    tests/processes.py builds it, with receivers on 127.0.0.1 allowed."""
    from tests.processes import process_env

    env = process_env(
        DATABASE_URL=database_url,
        LOG_LEVEL="WARNING",
        WEBHOOK_ALLOW_PRIVATE="true",
        WEBHOOK_REQUIRE_HTTPS="false",
        WEBHOOK_SECRET_KEY=os.environ["WEBHOOK_SECRET_KEY"],
        DATABASE_POOL_MAX="8",
    )
    return env


class Workers:
    """`count` worker processes, each in its own process group, their output in files."""

    def __init__(self, count: int, concurrency: int, env: dict[str, str]) -> None:
        self.logs = [
            tempfile.NamedTemporaryFile(prefix="bench-worker-", suffix=".log")  # noqa: SIM115
            for _ in range(count)
        ]
        self.processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "manage.py",
                    "procrastinate",
                    "worker",
                    "--concurrency",
                    str(concurrency),
                    "--shutdown-graceful-timeout",
                    "10",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for log in self.logs
        ]

    def wait_ready(self, timeout: float = 60) -> None:
        """Until every worker has registered (procrastinate_workers)."""
        from django.db import connection

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check()
            with connection.cursor() as sql:
                sql.execute(
                    "SELECT count(*) FROM procrastinate_workers"
                    " WHERE last_heartbeat > now() - interval '30 seconds'"
                )
                if sql.fetchone()[0] >= len(self.processes):
                    return
            time.sleep(0.2)
        raise SystemExit("the workers did not start:\n" + self.output())

    def cpu_seconds(self) -> float:
        """CPU time the worker processes have used so far (user + system)."""
        import psutil

        total = 0.0
        for process in self.processes:
            times = psutil.Process(process.pid).cpu_times()
            total += times.user + times.system
        return total

    def check(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                raise SystemExit("a worker ended:\n" + self.output())

    def output(self) -> str:
        texts = []
        for log in self.logs:
            log.flush()
            texts.append(Path(log.name).read_text(errors="replace")[-3000:])
        return "\n".join(texts)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        for log in self.logs:
            log.close()


def ensure_units(count: int) -> list[int]:
    """`count` org units of the benchmark (made once), their ids."""
    from django.db import transaction

    from apps.org import services
    from apps.org.models import OrgUnit

    existing = list(
        OrgUnit.objects.filter(code__startswith=PREFIX).order_by("id").values_list("id", flat=True)
    )
    with transaction.atomic():
        for n in range(len(existing), count):
            unit = services.org_unit_create(code=f"{PREFIX}{n:04d}", name=f"Bench {n}")
            existing.append(unit.pk)
    return existing[:count]


def bench_admin() -> Any:
    """The HR admin who subscribes the webhooks (made once)."""
    from apps.users.models import Role, User

    admin = User.objects.filter(email="bench-events@coveris.test").first()
    return admin or User.objects.create_user(
        "bench-events@coveris.test", secrets.token_urlsafe(16), role=Role.ADMIN
    )


def write(units: list[int], events: int, rate: float, run: str) -> dict[int, float]:
    """Rename `events` units (PER_TRANSACTION per transaction, one UPDATE each), at `rate`
    events/s (0: as fast as possible); {transaction id: its commit's wall-clock time}."""
    from django.db import connection, transaction
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    from apps.org.models import OrgUnit

    committed: dict[int, float] = {}
    started = time.monotonic()
    done = 0
    step = 0
    while done < events:
        size = min(PER_TRANSACTION, events - done)
        first = done % len(units)
        chunk = (units + units)[first : first + size]
        if rate:
            due = started + done / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        with transaction.atomic():
            with connection.cursor() as sql:
                sql.execute("SELECT pg_current_xact_id()::text::bigint")
                xid = int(sql.fetchone()[0])
            OrgUnit.objects.filter(pk__in=chunk).update(
                name=Concat(F("code"), Value(f" {run} {step}"))
            )
        committed[xid] = time.time()
        done += size
        step += 1
    return committed


def measure(
    receivers: list[Any],
    secrets_by_url: dict[str, str],
    committed: dict[int, float],
    expected: int,
    timeout: float,
    workers: Workers,
) -> dict[str, Any]:
    """Wait for every delivery; the numbers, once each delivery is checked."""
    from standardwebhooks.webhooks import Webhook as Verifier

    from apps.events.models import Event

    uids = dict(
        Event.objects.filter(xid__in=list(committed), type=EVENT_TYPE).values_list("uid", "xid")
    )
    assert len(uids) * len(receivers) == expected, (len(uids), expected)
    order = {
        uid: n
        for n, uid in enumerate(
            Event.objects.filter(uid__in=list(uids))
            .order_by("xid", "id")
            .values_list("uid", flat=True)
        )
    }
    wanted = set(uids)
    deadline = time.monotonic() + timeout
    while True:
        taken = sum(
            len({r.header("webhook-id") for r in receiver.snapshot() if r.status == 200} & wanted)
            for receiver in receivers
        )
        if taken >= expected or time.monotonic() > deadline:
            break
        workers.check()
        time.sleep(0.2)
    latencies: list[float] = []
    requests = duplicates = failures = out_of_order = 0
    last = 0.0
    for receiver in receivers:
        verifier = Verifier(secrets_by_url[receiver.url])
        seen: set[str] = set()
        position: dict[str, int] = defaultdict(lambda: -1)
        for received in receiver.snapshot():
            uid = received.header("webhook-id")
            if uid not in uids:
                continue  # an event of another run
            requests += 1
            if received.status != 200:
                failures += 1
                continue
            if uid in seen:
                duplicates += 1
                continue
            seen.add(uid)
            verifier.verify(received.body, received.headers)
            subject = received.json()["subject"]
            if order[uid] < position[subject]:
                out_of_order += 1
            position[subject] = order[uid]
            latencies.append(received.wall - committed[uids[uid]])
            last = max(last, received.wall)
    first_commit = min(committed.values())
    span = (last - first_commit) if last else float("nan")
    write_span = max(committed.values()) - first_commit
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else 0.0

    return {
        "events": len(uids),
        "delivered": len(latencies),
        "expected": expected,
        "requests": requests,
        "duplicates": duplicates,
        "failures": failures,
        "out_of_order": out_of_order,
        "write_seconds": write_span,
        "span": span,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "max": latencies[-1] if latencies else 0.0,
        "mean": statistics.fmean(latencies) if latencies else 0.0,
    }


def report(label: str, r: dict[str, Any], hooks: int) -> None:
    write_rate = r["events"] / r["write_seconds"] if r["write_seconds"] else float("inf")
    deliveries_rate = r["delivered"] / r["span"]
    print(f"\n{label}")
    print(
        f"  written:   {r['events']:,} events in {r['write_seconds']:.1f} s"
        f" ({write_rate:,.0f} events/s)"
    )
    print(
        f"  delivered: {r['delivered']:,} of {r['expected']:,} deliveries in {r['span']:.1f} s"
        f" from the first commit: {deliveries_rate:,.0f} deliveries/s,"
        f" {deliveries_rate / hooks:,.0f} events/s (each to all {hooks} webhooks)"
    )
    print(
        f"  latency from commit: p50 {r['p50']:.2f} s, p95 {r['p95']:.2f} s,"
        f" p99 {r['p99']:.2f} s, max {r['max']:.2f} s"
    )
    print(
        f"  requests {r['requests']:,}: {r['failures']} not 200, {r['duplicates']} duplicates,"
        f" {r['out_of_order']} out of order per subject"
    )
    if "worker_cpu" in r:
        print(
            f"  CPU: workers {r['worker_cpu']:.1f} s"
            f" ({1000 * r['worker_cpu'] / max(r['delivered'], 1):.2f} ms a delivery),"
            f" this process (writer, receivers) {r['own_cpu']:.1f} s"
        )


def _own_cpu_seconds() -> float:
    """This process's CPU time: the writer and the receivers."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=int(os.environ.get("BENCH_EVENTS", "10000")))
    parser.add_argument("--webhooks", type=int, default=3)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", "2")))
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument(
        "--subjects", type=int, default=int(os.environ.get("BENCH_SUBJECTS", "200"))
    )
    parser.add_argument("--rate", type=float, default=float(os.environ.get("BENCH_RATE", "200")))
    parser.add_argument("--runs", default="burst,paced", help="burst, paced or both")
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()

    _setup()
    from django.core.management import call_command
    from django.db import connection

    from apps.events import services
    from apps.events.dispatch import dispatch
    from tests.events.receiver import receiving
    from tests.processes import database_url_of_this_run

    call_command("migrate", verbosity=0)
    units = ensure_units(args.subjects)
    dispatch()  # the setup's own events are behind the dispatcher before the clock starts
    print(
        f"events: {args.events:,} events about {len(units)} org units, to {args.webhooks}"
        f" webhooks ({args.events * args.webhooks:,} deliveries), {args.workers} workers ×"
        f" concurrency {args.concurrency}, on {os.cpu_count()} CPUs;"
        f" PostgreSQL {connection.pg_version // 10000}",  # type: ignore[attr-defined]
        flush=True,
    )
    hooks = []
    workers = None
    with ExitStack() as stack:
        receivers = [stack.enter_context(receiving()) for _ in range(args.webhooks)]
        secrets_by_url = {}
        try:
            admin = bench_admin()
            for receiver in receivers:
                hook, secret = services.webhook_create(
                    url=receiver.url, event_types=[EVENT_TYPE], actor=admin
                )
                hooks.append(hook)
                secrets_by_url[receiver.url] = secret
            workers = Workers(
                args.workers, args.concurrency, worker_env(database_url_of_this_run())
            )
            workers.wait_ready()
            results = []
            for run in [r.strip() for r in args.runs.split(",") if r.strip()]:
                rate = 0.0 if run == "burst" else args.rate
                cpu_before = workers.cpu_seconds(), _own_cpu_seconds()
                committed = write(units, args.events, rate, run)
                result = measure(
                    receivers,
                    secrets_by_url,
                    committed,
                    args.events * args.webhooks,
                    args.timeout,
                    workers,
                )
                result["worker_cpu"] = workers.cpu_seconds() - cpu_before[0]
                result["own_cpu"] = _own_cpu_seconds() - cpu_before[1]
                offered = rate * args.webhooks
                label = (
                    "burst (written as fast as possible)"
                    if run == "burst"
                    else f"paced ({rate:,.0f} events/s, {offered:,.0f} deliveries/s offered)"
                )
                report(label, result, args.webhooks)
                results.append((run, result))
        finally:
            if workers is not None:
                workers.stop()
            for hook in hooks:
                services.webhook_delete(webhook=hook, actor=admin)

    print("\ntargets:")
    for run, r in results:
        rate = r["delivered"] / r["span"]
        complete = r["delivered"] == r["expected"] and not r["out_of_order"]
        print(
            f"  {run}: >= {TARGET_DELIVERIES_PER_SECOND} deliveries/s: {rate:,.0f} —"
            f" {verdict(rate >= TARGET_DELIVERIES_PER_SECOND)}; p95 < {TARGET_P95_SECONDS:.0f} s:"
            f" {r['p95']:.2f} s — {verdict(r['p95'] < TARGET_P95_SECONDS)};"
            f" every delivery made, in order: {verdict(complete)}"
        )


if __name__ == "__main__":
    main()
