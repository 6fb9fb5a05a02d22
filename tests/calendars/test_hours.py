"""Working hours per day from a calendar, in SQL (apps/calendars/hours.py), held day by day to
the plain-Python rule beside it: hand-worked cases first, then random calendars with random
holidays, half days and extra days, and random spans starting mid-week."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from apps.calendars import hours
from apps.calendars.models import CalendarDay, WorkCalendar

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)
D = Decimal


def office(**kw) -> WorkCalendar:
    return WorkCalendar.objects.create(code=kw.pop("code", "office"), name="Office", **kw)


def test_a_public_holiday_takes_a_day_off_the_week():
    calendar = office()
    CalendarDay.objects.create(calendar=calendar, date=MONDAY + dt.timedelta(days=2), hours=0)
    CalendarDay.objects.create(
        calendar=calendar, date=MONDAY + dt.timedelta(days=9), hours=4, kind="half_day"
    )
    weeks = hours.working_hours_by_week(
        calendar_ids=[calendar.pk], first=MONDAY, last=MONDAY + dt.timedelta(days=20)
    )
    assert weeks == {
        (calendar.pk, MONDAY): D("32"),
        (calendar.pk, MONDAY + dt.timedelta(weeks=1)): D("36"),
        (calendar.pk, MONDAY + dt.timedelta(weeks=2)): D("40"),
    }
    # A 40 h employee supplies 32 h in the holiday week: 40 × weight / 7, weight 7 × 32 / 40.
    (weight,) = hours.span_weights(
        calendar_ids=[calendar.pk],
        first=MONDAY,
        last=MONDAY + dt.timedelta(days=6),
        spans=[(calendar.pk, MONDAY, MONDAY + dt.timedelta(days=6))],
    )
    assert D(40) * weight / 7 == D("32")
    exceptions = hours.exceptions_of(calendar)
    assert hours.delivered(D(40), MONDAY, MONDAY + dt.timedelta(days=6), calendar, exceptions) == 32


def test_a_round_the_clock_week_and_an_extra_day():
    ward = office(code="ward", week_hours=[D(24)] * 7)
    shop = office(code="shop")
    CalendarDay.objects.create(
        calendar=shop, date=MONDAY + dt.timedelta(days=5), hours=6, kind="extra"
    )
    weeks = hours.working_hours_by_week(
        calendar_ids=[ward.pk, shop.pk], first=MONDAY, last=MONDAY + dt.timedelta(days=6)
    )
    assert weeks == {(ward.pk, MONDAY): D(168), (shop.pk, MONDAY): D(46)}


def test_without_a_calendar_a_rate_is_spread_over_seven_days():
    assert hours.delivered(D(35), MONDAY, MONDAY + dt.timedelta(days=2), None) == D(15)


def random_calendar(rng: random.Random, n: int, first: dt.date, days: int) -> WorkCalendar:
    week = [D(rng.choice(["0", "4", "6.5", "7.75", "8", "10", "12", "24"])) for _ in range(7)]
    if sum(week) == 0:
        week[0] = D(8)
    calendar = WorkCalendar.objects.create(code=f"r{n}", name=f"Random {n}", week_hours=week)
    for offset in rng.sample(range(days), k=rng.randint(0, 12)):
        kind, value = rng.choice(
            [("holiday", "0"), ("closure", "0"), ("half_day", "3.5"), ("extra", "5")]
        )
        CalendarDay.objects.create(
            calendar=calendar, date=first + dt.timedelta(days=offset), hours=D(value), kind=kind
        )
    return calendar


def test_random_calendars_agree_with_the_day_by_day_rule():
    rng = random.Random(17)
    first, days = MONDAY - dt.timedelta(days=3), 70  # starts on a Friday
    last = first + dt.timedelta(days=days - 1)
    calendars = [random_calendar(rng, n, first, days) for n in range(6)]
    exceptions = {c.pk: hours.exceptions_of(c) for c in calendars}

    spans = []
    for _ in range(200):
        calendar = rng.choice(calendars)
        start = first + dt.timedelta(days=rng.randrange(days))
        end = min(last, start + dt.timedelta(days=rng.randrange(30)))
        spans.append((calendar.pk, start, end))
    weights = hours.span_weights(
        calendar_ids=[c.pk for c in calendars], first=first, last=last, spans=spans
    )
    by_id = {c.pk: c for c in calendars}
    for (calendar_id, start, end), weight in zip(spans, weights, strict=True):
        rate = D(rng.choice(["40", "37.5", "12", "0.25"]))
        expected = hours.delivered(rate, start, end, by_id[calendar_id], exceptions[calendar_id])
        assert abs(rate * weight / 7 - expected) < D("1e-9"), (calendar_id, start, end)

    weeks = hours.working_hours_by_week(
        calendar_ids=[c.pk for c in calendars], first=first, last=last
    )
    for calendar in calendars:
        day = first
        while day <= last:
            monday = day - dt.timedelta(days=day.weekday())
            # The whole week, also its days outside first..last.
            in_range = [monday + dt.timedelta(days=i) for i in range(7)]
            expected = sum(
                (hours.day_hours(calendar, exceptions[calendar.pk], d) for d in in_range), D(0)
            )
            assert weeks[(calendar.pk, monday)] == expected, (calendar.code, monday)
            day = monday + dt.timedelta(days=7)
