"""Working hours per day from a calendar (DESIGN.md §8), in SQL, with the plain-Python rule it
computes beside it (the tests hold one to the other).

A calendar's hours on a date are its exception's that date, else its normal week's for the
weekday. A weekly rate (contract hours, an assignment's hours) delivers on a date
`rate × hours(date) / normal week hours`: over a normal week it delivers the rate, in a week
with a public holiday less. Without a calendar the rule is today's: 1/7 of the rate a day.

`CALENDAR_DAYS_SQL` is the series every report joins: one row per calendar and date of the
range, with its hours, its weight (7 × hours / normal: a day of a normal week weighs 1 on
average, so `rate × weight / 7` is what the date delivers, as `rate × 1 / 7` is without a
calendar) and the running sum of the weights, so that the weight of any span of days is the
difference of two running sums (`cum(last) - cum(first - 1)`), whatever the span's length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connections

from apps.calendars.models import CalendarDay, WorkCalendar

# Parameters: %(calendars)s bigint[], %(first)s date, %(last)s date. The series starts the day
# before `first` (weight 0) so that `cum(first - 1)` exists.
CALENDAR_DAYS_SQL = """
SELECT c.id AS calendar_id, s.d::date AS d,
       CASE WHEN s.d < %(first)s::date THEN 0
            ELSE COALESCE(x.hours, c.week_hours[EXTRACT(ISODOW FROM s.d)::int]) END AS hours,
       CASE WHEN s.d < %(first)s::date THEN 0
            ELSE 7 * COALESCE(x.hours, c.week_hours[EXTRACT(ISODOW FROM s.d)::int])
                 / (SELECT SUM(h) FROM unnest(c.week_hours) h) END AS weight
FROM calendars_workcalendar c
CROSS JOIN generate_series(%(first)s::date - 1, %(last)s::date, interval '1 day') s(d)
LEFT JOIN calendars_calendarday x ON x.calendar_id = c.id AND x.date = s.d::date
WHERE c.id = ANY(%(calendars)s::bigint[])
"""

CALENDAR_CUM_SQL = f"""
SELECT calendar_id, d, hours, weight,
       SUM(weight) OVER (PARTITION BY calendar_id ORDER BY d) AS cum
FROM ({CALENDAR_DAYS_SQL}) days
"""

WEEK_HOURS_SQL = f"""
SELECT calendar_id, d - (EXTRACT(ISODOW FROM d)::int - 1) AS ws, SUM(hours)
FROM ({CALENDAR_DAYS_SQL}) days
WHERE d >= %(first)s::date
GROUP BY calendar_id, ws
ORDER BY calendar_id, ws
"""


def working_hours_by_week(
    *, calendar_ids: Iterable[int], first: dt.date, last: dt.date, using: str = "default"
) -> dict[tuple[int, dt.date], Decimal]:
    """{(calendar, Monday): the calendar's working hours in the days of that week between
    `first` and `last`}; one query."""
    params: dict[str, Any] = {"calendars": list(calendar_ids), "first": first, "last": last}
    with connections[using].cursor() as cursor:
        cursor.execute(WEEK_HOURS_SQL, params)
        return {(cid, ws): Decimal(total) for cid, ws, total in cursor.fetchall()}


def span_weights(
    *, calendar_ids: Iterable[int], first: dt.date, last: dt.date, spans: list[tuple[Any, ...]]
) -> list[Decimal]:
    """For each `(calendar_id, start, end)` in `spans` (inside `first`..`last`), the summed
    weight of its days: `cum(end) - cum(start - 1)`; one query. The building block the
    reports join (`rate × weight / 7` is what a weekly rate delivers over the span)."""
    if not spans:
        return []
    params: dict[str, Any] = {
        "calendars": list(calendar_ids),
        "first": first,
        "last": last,
        "span_calendars": [s[0] for s in spans],
        "starts": [s[1] for s in spans],
        "ends": [s[2] for s in spans],
    }
    sql = f"""
    WITH cw AS MATERIALIZED ({CALENDAR_CUM_SQL}),
    spans AS (
        SELECT * FROM unnest(%(span_calendars)s::bigint[], %(starts)s::date[], %(ends)s::date[])
            WITH ORDINALITY AS s(calendar_id, s, t, n)
    )
    SELECT spans.n, hi.cum - lo.cum
    FROM spans
    JOIN cw hi ON hi.calendar_id = spans.calendar_id AND hi.d = spans.t
    JOIN cw lo ON lo.calendar_id = spans.calendar_id AND lo.d = spans.s - 1
    ORDER BY spans.n
    """
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return [Decimal(weight) for _, weight in cursor.fetchall()]


# --- the rule in plain Python (the reference the tests hold the SQL to) -----------------------


def day_hours(calendar: WorkCalendar, exceptions: dict[dt.date, Decimal], date: dt.date) -> Decimal:
    """The calendar's working hours on `date`."""
    if date in exceptions:
        return exceptions[date]
    return Decimal(calendar.week_hours[date.weekday()])


def exceptions_of(calendar: WorkCalendar) -> dict[dt.date, Decimal]:
    return dict(CalendarDay.objects.filter(calendar=calendar).values_list("date", "hours"))


def delivered(
    rate: Decimal,
    start: dt.date,
    end: dt.date,
    calendar: WorkCalendar | None,
    exceptions: dict[dt.date, Decimal] | None = None,
) -> Decimal:
    """What a weekly `rate` delivers from `start` to `end` (inclusive), day by day: 1/7 a day
    without a calendar, `rate × hours(day) / normal week hours` with one. Unrounded."""
    total = Decimal(0)
    day = start
    normal = sum((Decimal(h) for h in calendar.week_hours), Decimal(0)) if calendar else None
    while day <= end:
        if calendar is None or normal is None:
            total += rate / 7
        else:
            total += rate * day_hours(calendar, exceptions or {}, day) / normal
        day += dt.timedelta(days=1)
    return total
