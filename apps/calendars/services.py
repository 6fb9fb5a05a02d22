"""Services that change working calendars and their days: by hand, from the `holidays` package,
or from an iCalendar file. Every write is captured in the change log (apps.core.capture)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.calendars.models import CalendarDay, DayKind, DaySource, WorkCalendar
from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import ProblemError
from apps.core.services import model_update, model_validate
from apps.users.models import User

CALENDAR_FIELDS = ("code", "name", "country", "subdivision", "week_hours")
DAY_FIELDS = ("date", "hours", "name", "kind")
# Years one holidays request may cover, and the years the package is asked about at all.
MAX_HOLIDAY_YEARS = 30
FIRST_YEAR, LAST_YEAR = 1950, 2100


def default_hours(calendar: WorkCalendar, date: dt.date, kind: str) -> Decimal:
    """The hours of an exception when none are given: none on a holiday or closure, half the
    weekday's on a half day, the calendar's mean working day on an extra day."""
    normal = calendar.week_hours[date.weekday()]
    if kind == DayKind.HALF_DAY:
        return (normal / 2).quantize(Decimal("0.01"))
    if kind == DayKind.EXTRA:
        working = [h for h in calendar.week_hours if h > 0]
        return (sum(working, Decimal("0")) / len(working)).quantize(Decimal("0.01"))
    return Decimal("0")


@attributed
@transaction.atomic
def calendar_create(*, actor: User | None = None, **fields: Any) -> WorkCalendar:
    calendar = WorkCalendar(**fields)
    model_validate(calendar)
    calendar.save()
    return calendar


@attributed
@transaction.atomic
def calendar_update(
    *,
    calendar: WorkCalendar,
    if_match: str | None = None,
    actor: User | None = None,
    **fields: Any,
) -> WorkCalendar:
    locked = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
    check_if_match(locked, if_match)
    model_update(instance=locked, data=fields, fields=[f for f in CALENDAR_FIELDS if f in fields])
    return locked


@attributed
@transaction.atomic
def calendar_day_create(
    *,
    calendar: WorkCalendar,
    date: dt.date,
    kind: str = DayKind.HOLIDAY,
    hours: Decimal | None = None,
    name: str = "",
    source: str = DaySource.MANUAL,
    actor: User | None = None,
) -> CalendarDay:
    day = CalendarDay(
        calendar=calendar,
        date=date,
        kind=kind,
        hours=default_hours(calendar, date, kind) if hours is None else hours,
        name=name,
        source=source,
    )
    model_validate(day)
    day.save()
    return day


@attributed
@transaction.atomic
def calendar_day_update(
    *, day: CalendarDay, if_match: str | None = None, actor: User | None = None, **fields: Any
) -> CalendarDay:
    locked = CalendarDay.objects.select_for_update().get(pk=day.pk)
    check_if_match(locked, if_match)
    model_update(instance=locked, data=fields, fields=[f for f in DAY_FIELDS if f in fields])
    return locked


@attributed
@transaction.atomic
def calendar_day_delete(*, day: CalendarDay, actor: User | None = None) -> None:
    CalendarDay.objects.filter(pk=day.pk).delete()


# --- public holidays ------------------------------------------------------------------------


def supported_countries() -> dict[str, list[str]]:
    """{country code: its subdivision codes} of the `holidays` package."""
    import holidays

    return {
        code: list(subdivisions)
        for code, subdivisions in holidays.list_supported_countries().items()
    }


def _invalid(field_name: str, message: str, **extra: Any) -> ProblemError:
    return ProblemError(message, code=ErrorCode.INVALID, errors={field_name: [message]}, **extra)


@dataclass(frozen=True)
class PublicHolidays:
    subdivision: str  # as the `holidays` package spells it ("" for the whole country)
    days: dict[dt.date, str]  # date: name


def public_holidays(
    *, country: str, subdivision: str, from_year: int, to_year: int
) -> PublicHolidays:
    """The public holidays of `country` (and `subdivision`, whose regional holidays are
    included, matched whatever its case) from `from_year` to `to_year`; a 400 naming the valid
    codes for an unknown country or subdivision."""
    import holidays

    countries = supported_countries()
    if country not in countries:
        raise _invalid(
            "country",
            f"Unknown country {country!r}: use one of the codes in `valid`.",
            valid=sorted(countries),
        )
    subdivisions = countries[country]
    by_case = {code.casefold(): code for code in subdivisions}
    subdivision = by_case.get(subdivision.casefold(), subdivision) if subdivision else ""
    if subdivision and subdivision not in subdivisions:
        raise _invalid(
            "subdivision",
            f"Unknown subdivision {subdivision!r} of {country}: use one of the codes in `valid`.",
            valid=sorted(subdivisions),
        )
    if not (FIRST_YEAR <= from_year <= to_year <= LAST_YEAR):
        raise _invalid("to_year", f"Years run from {FIRST_YEAR} to {LAST_YEAR}, from_year first.")
    if to_year - from_year + 1 > MAX_HOLIDAY_YEARS:
        raise _invalid("to_year", f"At most {MAX_HOLIDAY_YEARS} years at a time.")
    found = holidays.country_holidays(
        country, subdiv=subdivision or None, years=range(from_year, to_year + 1)
    )
    return PublicHolidays(
        subdivision=subdivision, days={date: str(name) for date, name in sorted(found.items())}
    )


@dataclass
class Generated:
    created: list[CalendarDay] = field(default_factory=list)
    unchanged: int = 0


@attributed
@transaction.atomic
def holidays_generate(
    *,
    calendar: WorkCalendar,
    country: str,
    subdivision: str = "",
    from_year: int,
    to_year: int,
    actor: User | None = None,
) -> Generated:
    """Add the public holidays of `country`/`subdivision` to `calendar` as days off. Idempotent:
    a date that already has an exception (generated, imported or entered) is left as it is."""
    holidays = public_holidays(
        country=country, subdivision=subdivision, from_year=from_year, to_year=to_year
    )
    found = holidays.days
    locked = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
    taken = set(
        CalendarDay.objects.filter(calendar=locked, date__in=list(found)).values_list(
            "date", flat=True
        )
    )
    result = Generated(unchanged=len(taken))
    new = [
        CalendarDay(
            calendar=locked,
            date=date,
            hours=Decimal("0"),
            name=name[:200],
            kind=DayKind.HOLIDAY,
            source=DaySource.HOLIDAYS,
        )
        for date, name in found.items()
        if date not in taken
    ]
    result.created = CalendarDay.objects.bulk_create(new)
    model_update(instance=locked, data={"country": country, "subdivision": holidays.subdivision})
    return result
