"""The weekly facts around one assignment, from the same set-based computation as supply/ and
coverage/ (apps.offer.selectors, apps.demand.selectors), including the hours of the assignment
being evaluated (which may not be saved yet) over its employee's working days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apps.demand.selectors import CoverageWeek, coverage_weeks
from apps.offer.selectors import SupplyWeek, supply_weeks
from apps.reports.weeks import week_end, week_range

TWO = Decimal("0.01")


def employee_weeks(
    *,
    employee_id: int,
    first: dt.date,
    last: dt.date,
    exclude_assignment: int | None = None,
    subject: tuple[Decimal, dt.date, dt.date | None] | None = None,
) -> list[SupplyWeek]:
    """Supply, other assigned hours and assignments of one employee per week, and the hours
    of `subject` (weekly hours, start, end: the assignment being evaluated) spread over the
    employee's working days (1 query)."""
    return supply_weeks(
        first=first,
        last=last,
        employee_ids=[employee_id],
        exclude_assignment=exclude_assignment,
        subject=subject,
    )


def position_weeks(
    *, position_id: int, first: dt.date, last: dt.date, exclude_assignment: int | None = None
) -> list[CoverageWeek]:
    """Required and other assigned hours of one position per week (1 query); a week where
    the position is closed demands nothing."""
    rows = {
        r.week_start: r
        for r in coverage_weeks(
            first=first,
            last=last,
            position_ids=[position_id],
            exclude_assignment=exclude_assignment,
        )
    }
    zero = Decimal("0.00")
    return [
        rows.get(ws) or CoverageWeek(position_id, ws, zero, zero) for ws in week_range(first, last)
    ]


def pro_rata(rate: Decimal, start: dt.date, end: dt.date | None, monday: dt.date) -> Decimal:
    """A weekly rate over [start, end] counted for the days of the week starting `monday`,
    without a calendar (1/7 a day)."""
    sunday = week_end(monday)
    days = (min(end or sunday, sunday) - max(start, monday)).days + 1
    return (rate * max(0, days) / 7).quantize(TWO)
