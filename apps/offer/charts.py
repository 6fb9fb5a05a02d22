"""An employee's coming weeks drawn as SVG for their admin change page: supply vs assigned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.safestring import SafeString

from apps.offer.selectors import SupplyWeek, supply_weeks
from apps.org.models import Employee
from apps.reports.svg import Series, week_bars
from apps.reports.weeks import week_label, week_range, week_start

CHART_WEEKS = 12  # this week and the next eleven


def employee_chart(employee: Employee, *, today: dt.date | None = None) -> SafeString:
    """Supply (contract + ledger) vs assigned hours of `employee`, week by week."""
    first = week_start(today or dt.date.today())
    weeks = week_range(first, first + dt.timedelta(weeks=CHART_WEEKS - 1))
    by_week = {
        w.week_start: w
        for w in supply_weeks(first=weeks[0], last=weeks[-1], employee_ids=[employee.pk])
    }
    zero = SupplyWeek(employee.pk, first, Decimal(0), Decimal(0), Decimal(0), 0)
    rows = [by_week.get(monday, zero) for monday in weeks]
    return week_bars(
        label=f"{employee.employee_number}: supply and assigned hours, {week_label(weeks[0])} "
        f"to {week_label(weeks[-1])}",
        weeks=weeks,
        series=[
            Series("supply", [w.supply for w in rows], "#9e9e9e"),
            Series("assigned", [w.assigned for w in rows], "#2166ac"),
        ],
    )
