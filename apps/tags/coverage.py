"""Which weeks a held tag covers: the pure date arithmetic the rule and the ranking share."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from apps.reports.weeks import week_end

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Held:
    """One period in which an employee holds a tag at a level (None: open-ended)."""

    level: int
    valid_from: dt.date
    valid_until: dt.date | None


def qualifying_periods(held: Iterable[Held], min_level: int) -> list[tuple[dt.date, dt.date]]:
    """The periods at `min_level` or above, merged where they overlap or touch
    (an open end is `date.max`)."""
    spans = sorted(
        (h.valid_from, h.valid_until or dt.date.max) for h in held if h.level >= min_level
    )
    merged: list[tuple[dt.date, dt.date]] = []
    for start, end in spans:
        if merged and start <= _next_day(merged[-1][1]):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _next_day(day: dt.date) -> dt.date:
    return day if day == dt.date.max else day + ONE_DAY


def covers(periods: list[tuple[dt.date, dt.date]], first: dt.date, last: dt.date) -> bool:
    """Every day from `first` to `last` lies in one of the (merged) periods."""
    return any(start <= first and last <= end for start, end in periods)


def uncovered_weeks(
    periods: list[tuple[dt.date, dt.date]],
    mondays: list[dt.date],
    start: dt.date,
    end: dt.date,
) -> list[dt.date]:
    """The Mondays of the weeks in which some day between `start` and `end` is not covered."""
    missing = []
    for monday in mondays:
        first, last = max(start, monday), min(end, week_end(monday))
        if first > last:
            continue  # the range does not reach into this week
        if not covers(periods, first, last):
            missing.append(monday)
    return missing
