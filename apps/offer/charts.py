"""An employee's coming weeks drawn as SVG for their admin change page: supply vs assigned."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils.safestring import SafeString

from apps.offer.selectors import SupplyWeek, supply_weeks
from apps.org.models import Employee
from apps.reports.svg import ASSIGNED_FILL, DEMAND_FILL, coming_weeks_chart


def employee_chart(employee: Employee, *, today: dt.date | None = None) -> SafeString:
    """Supply (contract + ledger) vs assigned hours of `employee`, week by week."""
    zero = Decimal(0)
    return coming_weeks_chart(
        title=f"{employee.employee_number}: supply and assigned hours",
        weeks_of=lambda first, last: supply_weeks(
            first=first, last=last, employee_ids=[employee.pk]
        ),
        zero=SupplyWeek(employee.pk, dt.date.min, zero, zero, zero, 0),
        series=[("supply", "supply", DEMAND_FILL), ("assigned", "assigned", ASSIGNED_FILL)],
        today=today,
    )
