"""Weekly supply per employee, computed set-based in PostgreSQL (one query for any number of
employees and weeks): contract hours while employed (the version in force on each day) +
ledger entries, assigned hours of approved and active assignments; free = supply − assigned.

Every weekly rate is spread over the employee's working days (DESIGN.md §8): by their home
unit's calendar (apps.calendars.hours), or pro rata by calendar days when none is up the tree."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.db.models import QuerySet

from apps.calendars.hours import Span, calendar_ctes, divisor_sql
from apps.core import asof
from apps.core.db import read_alias
from apps.fsm.states import COUNTED_ASSIGNMENT_STATES
from apps.offer.models import LedgerEntry
from apps.org.scope import like_patterns
from apps.org.selectors import hours_spans_sql, unit_calendars_sql
from apps.reports.weeks import WEEKS_CTE, week_label
from apps.users.models import User


@dataclass(frozen=True)
class SupplyWeek:
    employee: int
    week_start: dt.date
    contract: Decimal
    ledger: Decimal
    assigned: Decimal
    assignments: int  # approved + active assignments overlapping the week
    # The employee's calendar's working hours that week (None: no calendar up the tree).
    working_hours: Decimal | None = None
    # The hours of the assignment being evaluated (`supply_weeks(subject=...)`) that week.
    subject: Decimal = Decimal("0.00")

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def supply(self) -> Decimal:
        return self.contract + self.ledger

    @property
    def free(self) -> Decimal:
        return self.supply - self.assigned


CONTRACT = Span("cs", "e.calendar_id", "cv.s", "cv.t")
LEDGER = Span("ls", "e.calendar_id", "l.start_date", "l.end_date")
ASSIGNED = Span("ka", "e.calendar_id", "a.start_date", "a.end_date")
# The employee's whole week, and the evaluated assignment's days in it: one lookup serves both.
WEEK = Span("wk", "e.calendar_id", "ew.ws", "ew.ws + 6", "ew.ws")
SUBJECT = Span("wk", "e.calendar_id", "%(subject_start)s::date", "%(subject_end)s::date", "ew.ws")

SUPPLY_SQL = f"""
WITH w AS ({WEEKS_CTE}),
e0 AS (
    SELECT e.id, e.org_unit_id, e.contract_hours, e.hire_date, e.termination_date
    FROM org_employee e JOIN org_orgunit u ON u.id = e.org_unit_id
    WHERE (%(employees)s::bigint[] IS NULL OR e.id = ANY(%(employees)s::bigint[]))
      AND (%(paths)s::text[] IS NULL OR u.path LIKE ANY(%(paths)s::text[]))
      AND (%(user)s::bigint IS NULL OR e.user_id = %(user)s::bigint)
),
uc AS ({unit_calendars_sql("SELECT org_unit_id FROM e0")}),
-- each employee with the calendar of their home unit (NULL: none up the tree)
e AS (SELECT e0.*, uc.calendar_id FROM e0 LEFT JOIN uc ON uc.id = e0.org_unit_id),
{calendar_ctes("SELECT calendar_id FROM e")},
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
    SELECT e.id AS employee_id, w.ws, COALESCE(SUM(cv.hours * {CONTRACT.units()}), 0) AS contract_u
    FROM e CROSS JOIN w
    LEFT JOIN cv ON cv.subject_id = e.id AND cv.s <= w.ws + 6 AND (cv.t IS NULL OR cv.t >= w.ws)
    {CONTRACT.joins()}
    GROUP BY e.id, w.ws
),
l AS (
    SELECT l.employee_id, w.ws, SUM(l.hours_per_week * {LEDGER.units()}) AS ledger_u
    FROM offer_ledgerentry l
    JOIN e ON e.id = l.employee_id
    JOIN w ON l.start_date <= w.ws + 6 AND l.end_date >= w.ws
    {LEDGER.joins()}
    GROUP BY l.employee_id, w.ws
),
a AS (
    SELECT a.employee_id, w.ws, SUM(a.weekly_hours * {ASSIGNED.units()}) AS assigned_u,
           COUNT(*) AS n
    FROM assignments_assignment a
    JOIN e ON e.id = a.employee_id
    JOIN w ON a.start_date <= w.ws + 6 AND (a.end_date IS NULL OR a.end_date >= w.ws)
    {ASSIGNED.joins()}
    WHERE a.state = ANY(%(counted)s) AND a.id <> %(exclude)s
    GROUP BY a.employee_id, w.ws
)
-- rate × units over the divisor: days over 7 without a calendar, hours over the normal week's
SELECT ew.employee_id, ew.ws,
       ROUND(ew.contract_u / {divisor_sql("kn.normal")}, 2),
       ROUND(COALESCE(l.ledger_u, 0) / {divisor_sql("kn.normal")}, 2),
       ROUND(COALESCE(a.assigned_u, 0) / {divisor_sql("kn.normal")}, 2),
       COALESCE(a.n, 0),
       CASE WHEN e.calendar_id IS NOT NULL THEN {WEEK.hours()} END,
       CASE WHEN %(subject_start)s::date IS NULL THEN 0 ELSE ROUND(
           %(subject_rate)s::numeric * {SUBJECT.units()} / {divisor_sql("kn.normal")}, 2) END
FROM ew
JOIN e ON e.id = ew.employee_id
LEFT JOIN kn ON kn.calendar_id = e.calendar_id
{WEEK.joins()}
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
    subject: tuple[Decimal, dt.date, dt.date | None] | None = None,
    using: str | None = None,
) -> list[SupplyWeek]:
    """Weekly supply rows (employee, week) for the selected employees: by id, by org-unit
    subtree paths, or by linked user; one query. `subject` (weekly hours, start, end): an
    assignment being evaluated, whose hours each row reports spread over the employee's
    working days."""
    rate, start, end = subject or (Decimal(0), None, None)
    params: dict[str, Any] = {
        "first": first,
        "last": last,
        "employees": employee_ids,
        "paths": like_patterns(unit_paths),
        "user": user_id,
        "counted": list(COUNTED_ASSIGNMENT_STATES),
        "exclude": exclude_assignment or 0,
        "subject_rate": rate,
        "subject_start": start,
        "subject_end": end,
    }
    with connections[using or read_alias()].cursor() as cursor:
        asof.execute(cursor, SUPPLY_SQL, params)
        return [
            SupplyWeek(
                eid,
                ws,
                Decimal(c),
                Decimal(lg),
                Decimal(a),
                int(n),
                None if wh is None else Decimal(wh),
                Decimal(x),
            )
            for eid, ws, c, lg, a, n, wh, x in cursor.fetchall()
        ]


def ledger_list(*, user: User | AnonymousUser) -> QuerySet[LedgerEntry]:
    """Ledger entries the user may see (employees: their own), newest first."""
    return (
        LedgerEntry.objects.select_related("employee", "actor")
        .visible_to(user)
        .order_by("-at", "-id")
    )
