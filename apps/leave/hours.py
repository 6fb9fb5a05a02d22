"""How many hours a leave takes, and the ledger rate that takes them (DESIGN §8, §11).

A leave's hours default to what the employee's contract (the versions in force on those days,
not today's figure) delivers over its days: by the home unit's calendar (a holiday inside the
leave costs nothing), 1/7 of the weekly hours a day without one. The ledger entry the approval
writes is the weekly rate that delivers exactly those hours over the same days (the contract's
own rate, negated, when the hours were not given), so supply/ and coverage/ lose what the
balance counts.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from apps.calendars.hours import span_weights
from apps.org.models import ContractHours, Employee

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


def contract_pieces(
    employee: Employee, start: dt.date, end: dt.date
) -> list[tuple[dt.date, dt.date, Decimal]]:
    """The contract hours in force from `start` to `end` as (first day, last day, hours)
    pieces: on a day, the version valid from then or before (the last recorded of a day), else
    the first version — as supply reads them, not today's figure (a scheduled change counts)."""
    by_day: dict[dt.date, Decimal] = {}
    for valid_from, hours in (
        ContractHours.objects.filter(employee=employee, valid_from__lte=end)
        .order_by("valid_from", "recorded_at", "id")
        .values_list("valid_from", "hours")
    ):
        by_day[valid_from] = hours
    if not by_day:
        return [(start, end, Decimal(employee.contract_hours))]
    days = sorted(by_day)
    current = by_day[max((d for d in days if d <= start), default=days[0])]
    pieces, first = [], start
    for change in (d for d in days if start < d <= end):
        pieces.append((first, change - dt.timedelta(days=1), current))
        first, current = change, by_day[change]
    pieces.append((first, end, current))
    return pieces


def contract_hours_over(contract: Decimal, weight: Decimal) -> Decimal:
    """What `contract` hours a week deliver over days of `weight`."""
    return (Decimal(contract) * weight / WEEK).quantize(CENT, ROUND_HALF_UP)


def ledger_rate(*, hours: Decimal, weight: Decimal) -> Decimal:
    """The (negative) weekly rate that takes `hours` off over days of `weight`."""
    return -(Decimal(hours) * WEEK / weight).quantize(CENT, ROUND_HALF_UP)
