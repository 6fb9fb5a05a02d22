"""Weekly supply per employee, computed set-based in PostgreSQL (one query for any number of
employees and weeks): contract hours while employed (the version in force on each day) +
ledger entries, assigned hours of
approved and active assignments, all pro rata by days; free = supply − assigned."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.db.models import QuerySet

from apps.core import asof
from apps.core.db import read_alias
from apps.fsm.states import COUNTED_ASSIGNMENT_STATES
from apps.offer.models import LedgerEntry
from apps.org.scope import like_patterns
from apps.org.selectors import hours_spans_sql
from apps.reports.weeks import WEEKS_CTE, overlap_days_sql, week_label
from apps.users.models import User


@dataclass(frozen=True)
class SupplyWeek:
    employee: int
    week_start: dt.date
    contract: Decimal
    ledger: Decimal
    assigned: Decimal
    assignments: int  # approved + active assignments overlapping the week

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def supply(self) -> Decimal:
        return self.contract + self.ledger

    @property
    def free(self) -> Decimal:
        return self.supply - self.assigned


def _x7(rate: str, start: str, end: str) -> str:
    return f"{rate} * {overlap_days_sql(start, end)}"


SUPPLY_SQL = f"""
WITH w AS ({WEEKS_CTE}),
e AS (
    SELECT e.id, e.contract_hours, e.hire_date, e.termination_date
    FROM org_employee e JOIN org_orgunit u ON u.id = e.org_unit_id
    WHERE (%(employees)s::bigint[] IS NULL OR e.id = ANY(%(employees)s::bigint[]))
      AND (%(paths)s::text[] IS NULL OR u.path LIKE ANY(%(paths)s::text[]))
      AND (%(user)s::bigint IS NULL OR e.user_id = %(user)s::bigint)
),
-- the contract-hours versions, each over its days of employment
cv AS ({
    hours_spans_sql(
        versions="org_contracthours",
        subject="employee_id",
        subjects="e",
        start="hire_date",
        end="termination_date",
        figure="contract_hours",
    )
}),
ew AS (
    SELECT e.id AS employee_id, w.ws,
           COALESCE(SUM({_x7("cv.hours", "cv.s", "cv.t")}), 0) AS contract_x7
    FROM e CROSS JOIN w
    LEFT JOIN cv ON cv.subject_id = e.id AND cv.s <= w.ws + 6 AND (cv.t IS NULL OR cv.t >= w.ws)
    GROUP BY e.id, w.ws
),
l AS (
    SELECT l.employee_id, w.ws,
           SUM({_x7("l.hours_per_week", "l.start_date", "l.end_date")}) AS ledger_x7
    FROM offer_ledgerentry l
    JOIN e ON e.id = l.employee_id
    JOIN w ON l.start_date <= w.ws + 6 AND l.end_date >= w.ws
    GROUP BY l.employee_id, w.ws
),
a AS (
    SELECT a.employee_id, w.ws,
           SUM({_x7("a.weekly_hours", "a.start_date", "a.end_date")}) AS assigned_x7,
           COUNT(*) AS n
    FROM assignments_assignment a
    JOIN e ON e.id = a.employee_id
    JOIN w ON a.start_date <= w.ws + 6 AND (a.end_date IS NULL OR a.end_date >= w.ws)
    WHERE a.state = ANY(%(counted)s) AND a.id <> %(exclude)s
    GROUP BY a.employee_id, w.ws
)
SELECT ew.employee_id, ew.ws,
       ROUND(ew.contract_x7 / 7.0, 2),
       ROUND(COALESCE(l.ledger_x7, 0) / 7.0, 2),
       ROUND(COALESCE(a.assigned_x7, 0) / 7.0, 2),
       COALESCE(a.n, 0)
FROM ew
LEFT JOIN l ON l.employee_id = ew.employee_id AND l.ws = ew.ws
LEFT JOIN a ON a.employee_id = ew.employee_id AND a.ws = ew.ws
ORDER BY ew.employee_id, ew.ws
"""


def supply_weeks(
    *,
    first: dt.date,
    last: dt.date,
    employee_ids: list[int] | None = None,
    unit_paths: list[str] | None = None,
    user_id: int | None = None,
    exclude_assignment: int | None = None,
    using: str | None = None,
) -> list[SupplyWeek]:
    """Weekly supply rows (employee, week) for the selected employees: by id, by org-unit
    subtree paths, or by linked user; one query."""
    params: dict[str, Any] = {
        "first": first,
        "last": last,
        "employees": employee_ids,
        "paths": like_patterns(unit_paths),
        "user": user_id,
        "counted": list(COUNTED_ASSIGNMENT_STATES),
        "exclude": exclude_assignment or 0,
    }
    with connections[using or read_alias()].cursor() as cursor:
        asof.execute(cursor, SUPPLY_SQL, params)
        return [
            SupplyWeek(eid, ws, Decimal(c), Decimal(lg), Decimal(a), int(n))
            for eid, ws, c, lg, a, n in cursor.fetchall()
        ]


def ledger_list(*, user: User | AnonymousUser) -> QuerySet[LedgerEntry]:
    """Ledger entries the user may see (employees: their own), newest first."""
    return (
        LedgerEntry.objects.select_related("employee", "actor")
        .visible_to(user)
        .order_by("-at", "-id")
    )
