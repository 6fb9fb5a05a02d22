"""`make bench-scale`: ten times the size (issue 21, item 2), with ratios measured in one run.

Seeds two databases on the server DATABASE_URL names, one with `--employees / 10` employees and
one with `--employees` (100,000 by default; positions a fifth of the employees, org units a tenth
of the positions, as `bench/coverage.py` shapes its organisation), each from empty with
`manage.py seed_demo`, and times the seeds. Then (after a VACUUM ANALYZE, as autovacuum would
soon run after such a load), in-process (the Django test client as an HR admin), on each:
  - GET /api/v1/employees/ (the first page) and GET /api/v1/employees/{id}/,
  - GET /api/v1/audit-log/ (the newest page),
  - the whole-organisation 52-week coverage summary, cold (no kept result: the coverage
    results and the cache cleared first) and warm (the same request again right after),
The list, detail and audit page are measured in `--rounds` rounds that alternate between the
two databases (median of `--repeat` requests after one warm-up each), and each ratio large /
small is the median round's, with the range over the rounds: on a shared machine the load
changes between two measurements taken minutes apart. It prints the figures, the ratios, and
the targets met or not. Nothing here fails
a build. The databases are named `<--prefix>_<employees>`; they are dropped at the end unless
`--keep`, and a kept database that already holds the organisation is reused (its seed is then
not timed).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.test.utils import override_settings  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

FIRST = dt.date(2026, 1, 5)  # a Monday inside the seeded positions' and assignments' dates
WEEKS = 52
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


class Tee(StringIO):
    """Echo the seed's progress lines with the seconds since the seed began."""

    def __init__(self) -> None:
        super().__init__()
        self.started = time.perf_counter()

    def write(self, text: str) -> int:
        for line in text.splitlines():
            if line.strip():
                print(f"  [{time.perf_counter() - self.started:7.1f} s] {line}", flush=True)
        return len(text)


def server_names() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database")
        return {name for (name,) in cursor.fetchall()}


def use_database(name: str) -> None:
    """Point every alias on the server at database `name` (connections are reopened lazily)."""
    connections.close_all()
    for alias in connections:
        connections[alias].settings_dict["NAME"] = name


def create_database(name: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')


def drop_database(name: str, home: str) -> None:
    use_database(home)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')


def seed(employees: int) -> float | None:
    """Migrate and seed the current database; the seed's seconds (None when it was there)."""
    from apps.org.models import Employee

    call_command("migrate", verbosity=0)
    if Employee.objects.count() >= employees:
        print(f"  reusing the {Employee.objects.count()} employees already seeded", flush=True)
        return None
    positions = employees // 5
    out = Tee()
    started = time.perf_counter()
    call_command(
        "seed_demo",
        employees=employees,
        positions=positions,
        org_units=max(12, positions // 10),
        stdout=out,
    )
    return time.perf_counter() - started


def median_of(repeat: int, fn: Callable[[], Any]) -> float:
    fn()  # warm-up: connections, caches, the planner's statistics
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def ok(response: Any) -> Any:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response


def forget_results() -> None:
    """Cold: no kept coverage result (apps.core.versions, per process) and an empty cache."""
    from apps.demand import selectors

    results = getattr(selectors, "RESULTS", None)
    if results is not None:
        results.clear()
    cache.clear()


def endpoints(repeat: int) -> dict[str, float]:
    """Median seconds of the list, a detail and the audit page on the current database."""
    from apps.org.models import Employee
    from apps.users.models import User

    client = APIClient(SERVER_NAME="127.0.0.1")
    client.force_authenticate(User.objects.get(email="admin@coveris.test"))
    # The same ten employees (by number) at either size, asked in turn.
    ids = list(
        Employee.objects.filter(employee_number__lte="E000010")
        .order_by("employee_number")
        .values_list("id", flat=True)
    )
    turn = iter(range(10**9))
    return {
        "list": median_of(repeat, lambda: ok(client.get("/api/v1/employees/"))),
        "detail": median_of(
            repeat, lambda: ok(client.get(f"/api/v1/employees/{ids[next(turn) % len(ids)]}/"))
        ),
        "audit": median_of(repeat, lambda: ok(client.get("/api/v1/audit-log/"))),
    }


def summary(repeat: int) -> dict[str, float]:
    """Median seconds of the whole-organisation 52-week summary, cold and warm."""
    from apps.users.models import User

    client = APIClient(SERVER_NAME="127.0.0.1")
    client.force_authenticate(User.objects.get(email="admin@coveris.test"))
    last = FIRST + dt.timedelta(weeks=WEEKS - 1)
    url = f"/api/v1/coverage/summary/?from={FIRST}&to={last}&page_size=100"
    cold, warm = [], []
    for _ in range(repeat):
        forget_results()
        started = time.perf_counter()
        ok(client.get(url))
        cold.append(time.perf_counter() - started)
        started = time.perf_counter()
        ok(client.get(url))
        warm.append(time.perf_counter() - started)
    return {"summary cold": statistics.median(cold), "summary warm": statistics.median(warm)}


def counts() -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM org_employee), (SELECT count(*) FROM org_position),"
            " (SELECT count(*) FROM assignments_assignment),"
            " (SELECT count(*) FROM offer_ledgerentry), (SELECT count(*) FROM tags_employeetag),"
            " (SELECT count(*) FROM core_change), (SELECT count(*) FROM audit_log_entry)"
        )
        e, p, a, le, t, c, log = cursor.fetchone()
    return (
        f"{e} employees, {p} positions, {a} assignments, {le} ledger entries, {t} employee "
        f"tags, {c} captured changes, {log} audit rows"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--employees", type=int, default=100_000, help="the large size")
    parser.add_argument("--small", type=int, default=None, help="default: a tenth of it")
    parser.add_argument("--repeat", type=int, default=15, help="requests per list/detail/audit")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over both databases")
    parser.add_argument("--summary-repeat", type=int, default=3, help="cold/warm summary pairs")
    parser.add_argument("--prefix", default="coveris_scale", help="database names' prefix")
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the databases")
    args = parser.parse_args()
    sizes = [args.small or max(1, args.employees // 10), args.employees]
    home = connection.settings_dict["NAME"]
    existing = server_names()
    figures: dict[int, dict[str, float]] = {}
    rounds: dict[int, list[dict[str, float]]] = {size: [] for size in sizes}
    seeds: dict[int, float | None] = {}
    try:
        for size in sizes:
            name = f"{args.prefix}_{size}"
            if not (args.keep and name in existing):
                create_database(name)
            use_database(name)
            print(f"\n== {size} employees (database {name})", flush=True)
            seeds[size] = seed(size)
            if seeds[size] is not None:
                print(f"  seed: {seeds[size]:.1f} s", flush=True)
            print(f"  {counts()}", flush=True)
            # What autovacuum does soon after a bulk load, done before measuring, so that no
            # measurement runs beside it: statistics, and visibility maps for index-only scans.
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("VACUUM (ANALYZE)")
            print(f"  VACUUM (ANALYZE): {time.perf_counter() - started:.1f} s", flush=True)
            use_database(home)
        # Rounds alternate between the two databases, so that each round's ratio compares
        # figures taken side by side (other work on a shared machine comes and goes).
        with override_settings(CACHES=LOCMEM):
            for n in range(args.rounds):
                for size in sizes:
                    use_database(f"{args.prefix}_{size}")
                    rounds[size].append(endpoints(args.repeat))
                    shown = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in rounds[size][-1].items())
                    print(f"  round {n + 1}, {size}: {shown}", flush=True)
            for size in sizes:
                use_database(f"{args.prefix}_{size}")
                figures[size] = summary(args.summary_repeat)
                shown = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in figures[size].items())
                print(f"  {size}: {shown}", flush=True)
        use_database(home)
    finally:
        if not args.keep:
            for size in sizes:
                drop_database(f"{args.prefix}_{size}", home)

    small, large = sizes
    ratios: dict[str, list[float]] = {}
    for key in ("list", "detail", "audit"):
        pairs = zip(rounds[small], rounds[large], strict=True)
        ratios[key] = sorted(b[key] / a[key] for a, b in pairs)
        for size in sizes:
            figures[size][key] = statistics.median(r[key] for r in rounds[size])
    print(
        f"\nmedians of {args.repeat} requests per round, {args.rounds} rounds (ratio: the median"
        f" round's, and the range); summary: {args.summary_repeat} cold/warm pairs"
    )
    header = f"{'':<14} {small:>10} {large:>10} {'ratio':>7}  range"
    print(header)
    print("-" * len(header))
    for key in ("list", "detail", "audit", "summary cold", "summary warm"):
        a, b = figures[small][key], figures[large][key]
        if key in ratios:
            r = ratios[key]
            ratio, spread = statistics.median(r), f"{r[0]:.2f}–{r[-1]:.2f}"
        else:
            ratio, spread = b / a, ""
        print(f"{key:<14} {a * 1000:>8.1f}ms {b * 1000:>8.1f}ms {ratio:>6.2f}×  {spread}")
    for size in sizes:
        s = seeds[size]
        print(f"seed {size:<9} {'reused' if s is None else f'{s:.1f} s'}")
    big = figures[large]
    print("\ntargets (at the large size):")
    s = seeds[large]
    if s is not None:
        print(f"  seed < 300 s: {s:.1f} s — {'met' if s < 300 else 'NOT met'}")
    for key in ("list", "detail", "audit"):
        ratio = statistics.median(ratios[key])
        verdict = "met" if ratio <= 1.2 else "NOT met"
        print(f"  {key} within 1.2× of {small}: {ratio:.2f}× — {verdict}")
    cold, warm = big["summary cold"], big["summary warm"]
    print(f"  52-week summary cold < 2 s: {cold:.2f} s — {'met' if cold < 2 else 'NOT met'}")
    print(
        f"  52-week summary warm < 50 ms: {warm * 1000:.1f} ms — "
        f"{'met' if warm < 0.05 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
