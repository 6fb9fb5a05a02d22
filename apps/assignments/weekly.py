"""Weekly hours of one employee and one position, computed set-based in PostgreSQL.

Used by the rule evaluators and by assignments/simulate; a few queries whatever the number of
weeks or assignments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection

from apps.core.weeks import WEEKS_CTE, overlap_days_sql, pro_rata_sql
from apps.fsm.states import COUNTED_ASSIGNMENT_STATES

TWO = Decimal("0.01")


@dataclass(frozen=True)
class EmployeeWeek:
    week_start: dt.date
    supply: Decimal  # contract hours pro rata while employed
    assigned: Decimal  # approved + active assignments, pro rata
    concurrent: int  # approved + active assignments overlapping the week


@dataclass(frozen=True)
class PositionWeek:
    week_start: dt.date
    required: Decimal  # weekly hours pro rata while the position is open
    assigned: Decimal


def _rows(sql: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


EMPLOYEE_WEEKS_SQL = f"""
WITH w AS ({WEEKS_CTE}),
e AS (SELECT id, contract_hours, hire_date, termination_date FROM org_employee
      WHERE id = %(employee)s),
a AS (SELECT start_date, end_date, weekly_hours FROM assignments_assignment
      WHERE employee_id = %(employee)s AND state = ANY(%(counted)s)
        AND id <> %(exclude)s
        AND start_date <= %(last)s::date + 6
        AND (end_date IS NULL OR end_date >= %(first)s::date))
SELECT w.ws,
       COALESCE((SELECT ROUND({pro_rata_sql("e.contract_hours", "e.hire_date",
                                            "e.termination_date")}, 2) FROM e), 0),
       COALESCE((SELECT ROUND(SUM({pro_rata_sql("a.weekly_hours", "a.start_date",
                                                "a.end_date")}), 2) FROM a), 0),
       (SELECT COUNT(*) FROM a WHERE {overlap_days_sql("a.start_date", "a.end_date")} > 0)
FROM w ORDER BY w.ws
"""

POSITION_WEEKS_SQL = f"""
WITH w AS ({WEEKS_CTE}),
p AS (SELECT weekly_hours, start_date, end_date FROM org_position WHERE id = %(position)s),
a AS (SELECT start_date, end_date, weekly_hours FROM assignments_assignment
      WHERE position_id = %(position)s AND state = ANY(%(counted)s)
        AND id <> %(exclude)s
        AND start_date <= %(last)s::date + 6
        AND (end_date IS NULL OR end_date >= %(first)s::date))
SELECT w.ws,
       COALESCE((SELECT ROUND({pro_rata_sql("p.weekly_hours", "p.start_date", "p.end_date")}, 2)
                 FROM p), 0),
       COALESCE((SELECT ROUND(SUM({pro_rata_sql("a.weekly_hours", "a.start_date",
                                                "a.end_date")}), 2) FROM a), 0)
FROM w ORDER BY w.ws
"""


def employee_weeks(*, employee_id: int, first: dt.date, last: dt.date,
                   exclude_assignment: int | None = None) -> list[EmployeeWeek]:
    """Supply, assigned hours and concurrent assignments of one employee per week (1 query)."""
    params = {"employee": employee_id, "first": first, "last": last,
              "counted": list(COUNTED_ASSIGNMENT_STATES), "exclude": exclude_assignment or 0}
    return [EmployeeWeek(ws, Decimal(s), Decimal(a), int(c))
            for ws, s, a, c in _rows(EMPLOYEE_WEEKS_SQL, params)]


def position_weeks(*, position_id: int, first: dt.date, last: dt.date,
                   exclude_assignment: int | None = None) -> list[PositionWeek]:
    """Required and assigned hours of one position per week (1 query)."""
    params = {"position": position_id, "first": first, "last": last,
              "counted": list(COUNTED_ASSIGNMENT_STATES), "exclude": exclude_assignment or 0}
    return [PositionWeek(ws, Decimal(r), Decimal(a))
            for ws, r, a in _rows(POSITION_WEEKS_SQL, params)]


def pro_rata(rate: Decimal, start: dt.date, end: dt.date | None, monday: dt.date) -> Decimal:
    """The same pro-rata rule in Python, for one record and one week (the subject itself)."""
    sunday = monday + dt.timedelta(days=6)
    days = (min(end or sunday, sunday) - max(start, monday)).days + 1
    return (rate * max(0, days) / 7).quantize(TWO)
