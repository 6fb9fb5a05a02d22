"""ISO weeks (Monday to Sunday): ranges, labels, and the SQL pieces every weekly series uses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rest_framework import serializers

from apps.core.codes import ErrorCode

MAX_WEEKS = 260  # five years: a bound for every weekly series an API request may ask for


def week_start(day: dt.date) -> dt.date:
    """The Monday of `day`'s ISO week."""
    return day - dt.timedelta(days=day.weekday())


def week_end(monday: dt.date) -> dt.date:
    """The Sunday of the ISO week starting on `monday` (date.max in the last week of 9999)."""
    return (
        monday + dt.timedelta(days=6)
        if monday < dt.date.max - dt.timedelta(days=6)
        else dt.date.max
    )


def week_label(monday: dt.date) -> str:
    """ "2026-W03" for the ISO week starting on `monday`."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def week_range(first: dt.date, last: dt.date) -> list[dt.date]:
    """The Mondays of every week from `first`'s week to `last`'s week."""
    start, end = week_start(first), week_start(last)
    return [start + dt.timedelta(weeks=i) for i in range((end - start).days // 7 + 1)]


class WeekRangeSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """`from` and `to` query parameters: dates, `to` not before `from`, at most MAX_WEEKS weeks.

    Defaults: from this week, 12 weeks.
    """

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["from"] = serializers.DateField(required=False)
        self.fields["to"] = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = dt.date.today()
        first = attrs.get("from") or week_start(today)
        last = attrs.get("to") or (
            first + dt.timedelta(weeks=11)
            if first <= dt.date.max - dt.timedelta(weeks=11)
            else dt.date.max  # `from` in the last weeks of 9999: the series ends there
        )
        if last < first:
            raise serializers.ValidationError(
                {"to": ["`to` is before `from`."]}, code=ErrorCode.END_BEFORE_START
            )
        if (week_start(last) - week_start(first)).days // 7 + 1 > MAX_WEEKS:
            raise serializers.ValidationError(
                {"to": [f"At most {MAX_WEEKS} weeks per request."]}, code=ErrorCode.RANGE_TOO_LONG
            )
        return {**attrs, "from": week_start(first), "to": week_start(last)}


# Integer series: PostgreSQL knows how many rows one of those yields (a date series it guesses
# at 1,000, and plans the joins over it for that).
WEEKS_CTE = (
    "SELECT %(first)s::date + 7 * i AS ws"
    " FROM generate_series(0, (%(last)s::date - %(first)s::date) / 7) AS i"
)
