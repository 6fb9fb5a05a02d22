"""How many hours a leave takes, and the ledger rate that takes them (DESIGN §8, §11).

A leave's hours default to what the employee's contract delivers over its days: by the home
unit's calendar (a holiday inside the leave costs nothing), 1/7 of the weekly hours a day
without one. The ledger entry the approval writes is the weekly rate that delivers exactly
those hours over the same days (the contract's own rate, negated, when the hours were not
given), so supply/ and coverage/ lose what the balance counts.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from apps.calendars.hours import span_weights
from apps.org.models import Employee

CENT = Decimal("0.01")
WEEK = Decimal(7)


def span_weight(employee: Employee, start: dt.date, end: dt.date) -> Decimal:
    """7 × the working hours from `start` to `end` over the normal week's (a normal week
    weighs 7): its days without a calendar. A weekly rate delivers `rate × weight / 7`."""
    calendar = employee.org_unit.effective_calendar_id
    if calendar is None:
        return Decimal((end - start).days + 1)
    return span_weights(
        calendar_ids=[calendar], first=start, last=end, spans=[(calendar, start, end)]
    )[0]


def contract_hours_over(employee: Employee, weight: Decimal) -> Decimal:
    """What the employee's contract delivers over days of `weight`."""
    return (Decimal(employee.contract_hours) * weight / WEEK).quantize(CENT, ROUND_HALF_UP)


def ledger_rate(*, hours: Decimal, weight: Decimal) -> Decimal:
    """The (negative) weekly rate that takes `hours` off over days of `weight`."""
    return -(Decimal(hours) * WEEK / weight).quantize(CENT, ROUND_HALF_UP)
