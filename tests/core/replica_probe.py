"""Run by tests/core/test_replica.py in a subprocess, against a real primary and a streaming
replica (DATABASE_URL, DATABASE_REPLICA_URL): prints, as JSON, which database served what."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from apps.org import services as org  # noqa: E402
from apps.org.models import Employee  # noqa: E402
from apps.users.models import Role, User  # noqa: E402

log: dict[str, list[str]] = {"default": [], "replica": []}


def recorder(alias: str):  # type: ignore[no-untyped-def]
    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        log[alias].append(sql)
        return execute(sql, params, many, context)

    return wrapper


def capture(fn):  # type: ignore[no-untyped-def]
    for alias in log:
        log[alias] = []
    with (
        connections["default"].execute_wrapper(recorder("default")),
        connections["replica"].execute_wrapper(recorder("replica")),
    ):
        result = fn()
    return result, {alias: list(sqls) for alias, sqls in log.items()}


def main() -> None:
    call_command("migrate", verbosity=0)
    admin = User.objects.create_superuser("admin@replica.test", "pw-for-the-probe-1")
    assert admin.role == Role.ADMIN
    unit = org.org_unit_create(code="R1", name="Replica unit")
    org.position_create(
        code="RP1",
        title="Probe",
        org_unit=unit,
        weekly_hours=Decimal("40"),
        start_date=dt.date(2026, 1, 5),
    )
    employee = org.employee_create(
        employee_number="RE1",
        first_name="Rita",
        last_name="Plica",
        org_unit=unit,
        contract_hours=Decimal("40"),
        hire_date=dt.date(2026, 1, 5),
    )
    deadline = time.monotonic() + 30
    while not Employee.objects.using("replica").filter(pk=employee.pk).exists():
        if time.monotonic() > deadline:
            raise SystemExit("replica did not catch up")
        time.sleep(0.1)

    client = APIClient(SERVER_NAME="127.0.0.1")
    client.force_authenticate(admin)
    out: dict[str, object] = {}

    response, queries = capture(
        lambda: client.get("/api/v1/coverage/summary/?from=2026-01-05&to=2026-03-02")
    )
    out["summary"] = {
        "status": response.status_code,
        "replica_coverage_sql": sum("pw AS" in q for q in queries["replica"]),
        "default_coverage_sql": sum("pw AS" in q for q in queries["default"]),
    }

    response, queries = capture(lambda: client.get("/api/v1/supply/?from=2026-01-05&to=2026-02-02"))
    out["supply"] = {
        "status": response.status_code,
        "replica_supply_sql": sum("contract_u" in q for q in queries["replica"]),
    }

    response, queries = capture(lambda: client.get("/api/v1/audit-log/"))
    out["audit"] = {
        "status": response.status_code,
        "replica_view_reads": sum("audit_log_entry" in q for q in queries["replica"]),
        "default_view_reads": sum("audit_log_entry" in q for q in queries["default"]),
    }

    response, queries = capture(
        lambda: client.post(
            f"/api/v1/employees/{employee.pk}/transitions/",
            {"transition": "start_onboarding", "reason": "probe"},
            format="json",
        )
    )
    out["transition"] = {
        "status": response.status_code,
        "state_in_response": response.json().get("state"),
        "replica_queries": len(queries["replica"]),
        "default_writes": sum(
            q.lstrip().upper().startswith(("INSERT", "UPDATE")) for q in queries["default"]
        ),
        "locks_on_default": sum("FOR UPDATE" in q for q in queries["default"]),
    }
    response, queries = capture(lambda: client.get(f"/api/v1/employees/{employee.pk}/"))
    out["detail_after_write"] = {
        "status": response.status_code,
        "state": response.json().get("state"),
        "replica_queries": len(queries["replica"]),
    }
    out["replica_writes_total"] = 0
    try:
        with connections["replica"].cursor() as cursor:
            cursor.execute("CREATE TABLE replica_write_probe (id int)")
        out["replica_accepts_writes"] = True
    except Exception as exc:
        out["replica_accepts_writes"] = False
        out["replica_write_error"] = type(exc).__name__
    print(json.dumps(out))


if __name__ == "__main__":
    main()
