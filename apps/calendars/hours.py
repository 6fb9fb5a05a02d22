"""Working hours per day from a calendar (DESIGN.md §8), in SQL, with the plain-Python rule it
computes beside it (the tests hold one to the other).

A calendar's hours on a date are its exception's that date, else its normal week's for the
weekday. A weekly rate (contract hours, an assignment's hours) delivers on a date
`rate × hours(date) / normal week hours`: over a normal week it delivers the rate, in a week
with a public holiday less. Without a calendar the rule is today's: 1/7 of the rate a day.

The reports join `calendar_ctes`: per calendar, its normal week's hours (`kn`), and one row
per calendar and week of the report (`k`) with the running sums of the week's working hours
from Monday, and of the hours its exceptions take off the normal week, as arrays of 8. Every
weekly rate's span is clipped to a week, so its hours are two subscripts of the one row its
(calendar, week) names: one hash join on two plain columns, whatever the number of spans.
(Measured against the alternatives in docs/PERFORMANCE.md: a row per day joined twice per
span by computed dates was planned as merge joins that rescanned the series, 15 s for the
52-week summary; an array over the whole range is toasted and unpacked at every subscript.)

A weekly rate `r` over a span delivers `r × units / divisor`: units are the span's days and
the divisor 7 without a calendar, units its working hours and the divisor the normal week's
hours with one. The reports sum `r × units` and divide once per divisor, so that without a
calendar every figure is the same exact sum divided by 7 as before calendars existed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connections

from apps.calendars.models import CalendarDay, WorkCalendar


def calendar_ctes(calendars: str, weeks: str = "w") -> str:
    """Two common table expressions for the calendars whose ids the subquery `calendars`
    yields, over the weeks of the CTE `weeks` (column `ws`, Mondays): `kn (calendar_id,
    normal)`, the hours of each one's normal week, and `k (calendar_id, ws, cum, lost)`, one
    row per calendar and week with two arrays of 8: `cum[i + 2]` the working hours from Monday
    to the week's day `i` (0-6; `cum[1]` is 0), `lost` the same sums of the hours its
    exceptions take off the normal week (holidays, closures, half days; an extra day takes
    none)."""
    pattern = "c.week_hours[i + 1]"  # ISO weekday i + 1: Monday is 1
    return f"""
kn AS MATERIALIZED (
    SELECT c.id AS calendar_id, (SELECT SUM(h) FROM unnest(c.week_hours) h) AS normal
    FROM calendars_workcalendar c WHERE c.id IN ({calendars})
),
k AS MATERIALIZED (
    SELECT calendar_id, ws,
           array_prepend(0::numeric, array_agg(cum ORDER BY i)) AS cum,
           array_prepend(0::numeric, array_agg(lost ORDER BY i)) AS lost
    FROM (
        SELECT c.id AS calendar_id, wk.ws, i,
               SUM(COALESCE(x.hours, {pattern}))
                   OVER (PARTITION BY c.id, wk.ws ORDER BY i) AS cum,
               SUM(CASE WHEN x.hours IS NULL THEN 0 ELSE GREATEST({pattern} - x.hours, 0) END)
                   OVER (PARTITION BY c.id, wk.ws ORDER BY i) AS lost
        FROM calendars_workcalendar c
        CROSS JOIN {weeks} wk
        CROSS JOIN generate_series(0, 6) AS i
        LEFT JOIN calendars_calendarday x ON x.calendar_id = c.id AND x.date = wk.ws + i
        WHERE c.id IN (SELECT calendar_id FROM kn)
    ) days
    GROUP BY calendar_id, ws
)"""


def clip(start: str, end: str, ws: str) -> tuple[str, str]:
    """A span [start, end] (end NULL: open) clipped to the week starting at `ws`."""
    return f"GREATEST({start}, {ws})", f"LEAST(COALESCE({end}, {ws} + 6), {ws} + 6)"


@dataclass(frozen=True)
class Span:
    """A weekly rate's span of days [start, end] (end NULL: open) inside the week starting at
    `ws`, counted by `calendar` (a column; NULL: no calendar).

    `joins()` is one lookup into `k` (the calendar's week, by two plain columns, so that
    PostgreSQL hashes it) under the alias given; `units()` is what a rate over the span
    counts: its days without a calendar, its working hours with one; `lost()` the hours its
    exceptions take off."""

    alias: str
    calendar: str
    start: str
    end: str
    ws: str = "w.ws"

    def joins(self) -> str:
        a = self.alias
        return f"LEFT JOIN k {a} ON {a}.calendar_id = {self.calendar} AND {a}.ws = {self.ws}"

    def hours(self, of: str = "cum") -> str:
        lo, hi = clip(self.start, self.end, self.ws)
        a, ws = self.alias, self.ws
        return (
            f"COALESCE(GREATEST({a}.{of}[({hi}) - {ws} + 2] - {a}.{of}[({lo}) - {ws} + 1], 0), 0)"
        )

    def units(self) -> str:
        lo, hi = clip(self.start, self.end, self.ws)
        return (
            f"CASE WHEN {self.calendar} IS NULL THEN GREATEST(0, ({hi}) - ({lo}) + 1)"
            f" ELSE {self.hours()} END"
        )

    def lost(self) -> str:
        return self.hours("lost")


def divisor_sql(normal: str) -> str:
    """What a rate × units is divided by: the normal week's hours (the column `normal` of a
    `kn` row, NULL without a calendar), or 7 days."""
    return f"COALESCE({normal}, 7)"


_CALENDARS_PARAM = "SELECT unnest(%(calendars)s::bigint[])"
_WEEKS = (
    "w AS (SELECT %(first)s::date + 7 * i AS ws"
    " FROM generate_series(0, (%(last)s::date - %(first)s::date) / 7) AS i)"
)
_WHOLE_WEEK = Span("s", "kn.calendar_id", "w.ws", "w.ws + 6")

WEEK_HOURS_SQL = f"""
WITH {_WEEKS}, {calendar_ctes(_CALENDARS_PARAM)}
SELECT kn.calendar_id, w.ws, {_WHOLE_WEEK.hours()}
FROM kn CROSS JOIN w
{_WHOLE_WEEK.joins()}
ORDER BY kn.calendar_id, w.ws
"""


def _mondays(first: dt.date, last: dt.date) -> dict[str, Any]:
    return {
        "first": first - dt.timedelta(days=first.weekday()),
        "last": last - dt.timedelta(days=last.weekday()),
    }


def working_hours_by_week(
    *, calendar_ids: Iterable[int], first: dt.date, last: dt.date, using: str = "default"
) -> dict[tuple[int, dt.date], Decimal]:
    """{(calendar, Monday): the calendar's working hours that week} for the weeks from
    `first`'s to `last`'s; one query."""
    params: dict[str, Any] = {"calendars": list(calendar_ids), **_mondays(first, last)}
    with connections[using].cursor() as cursor:
        cursor.execute(WEEK_HOURS_SQL, params)
        return {(cid, ws): Decimal(total) for cid, ws, total in cursor.fetchall()}


def span_weights(
    *, calendar_ids: Iterable[int], first: dt.date, last: dt.date, spans: list[tuple[Any, ...]]
) -> list[Decimal]:
    """For each `(calendar_id, start, end)` in `spans` (inside `first`..`last`), its weight:
    7 × its working hours / the normal week's (`rate × weight / 7` is what a weekly rate
    delivers over the span; a normal week weighs 7), summed over the weeks it covers as the
    reports sum them; one query."""
    if not spans:
        return []
    params: dict[str, Any] = {
        "calendars": list(calendar_ids),
        **_mondays(first, last),
        "span_calendars": [s[0] for s in spans],
        "starts": [s[1] for s in spans],
        "ends": [s[2] for s in spans],
    }
    span = Span("x", "spans.calendar_id", "spans.s", "spans.t")
    sql = f"""
    WITH {_WEEKS}, {calendar_ctes(_CALENDARS_PARAM)},
    spans AS (
        SELECT * FROM unnest(%(span_calendars)s::bigint[], %(starts)s::date[], %(ends)s::date[])
            WITH ORDINALITY AS s(calendar_id, s, t, n)
    )
    SELECT spans.n, 7 * SUM({span.hours()}) / MIN(kn.normal)
    FROM spans JOIN kn ON kn.calendar_id = spans.calendar_id
    JOIN w ON spans.s <= w.ws + 6 AND spans.t >= w.ws
    {span.joins()}
    GROUP BY spans.n
    ORDER BY spans.n
    """
    with connections["default"].cursor() as cursor:
        cursor.execute(sql, params)
        return [Decimal(weight) for _, weight in cursor.fetchall()]


def days_off_by_week(
    *, calendar_id: int, first: dt.date, last: dt.date
) -> dict[dt.date, list[str]]:
    """{Monday: the calendar's exceptions that take hours off its normal week in that week,
    as "Mon 25 Dec: Christmas Day"}, from `first` to `last`; one query."""
    calendar = WorkCalendar.objects.filter(pk=calendar_id).values_list("week_hours", flat=True)
    week = calendar.first()
    if week is None:
        return {}
    out: dict[dt.date, list[str]] = {}
    days = CalendarDay.objects.filter(
        calendar_id=calendar_id, date__gte=first, date__lte=last
    ).order_by("date")
    for day in days:
        if day.hours >= Decimal(week[day.date.weekday()]):
            continue  # an extra day, or one that takes nothing off
        monday = day.date - dt.timedelta(days=day.date.weekday())
        label = day.name or day.get_kind_display()
        out.setdefault(monday, []).append(f"{day.date:%a %d %b}: {label}")
    return out


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
