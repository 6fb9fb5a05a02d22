"""Coverage's required hours with several weekly-hours versions (DESIGN.md §7) equal a plain,
day-by-day reference: on each day a coverage requirement covers, its hours; else, while the
position is open, the version in force (the latest `valid_from` on or before the day, the
latest recorded for the same `valid_from`; the first version before any starts); a week being
the sum of the day rates / 7, rounded once."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest

from apps.demand.models import CoverageRequirement
from apps.demand.selectors import coverage_summary, coverage_weeks
from apps.demand.services import requirement_create
from apps.org import services
from apps.org.models import OrgUnit, Position, WeeklyHours
from tests.factories.org import make_position, make_unit

pytestmark = pytest.mark.django_db

D = Decimal
FIRST = dt.date(2026, 2, 16)  # Monday of W08
LAST = dt.date(2026, 6, 15)  # Monday of W25


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def in_force(versions: list[WeeklyHours], day: dt.date) -> Decimal:
    """The hours of the version in force on `day`, found the slow way."""
    started = [v for v in versions if v.valid_from <= day]
    latest_from = (
        max(v.valid_from for v in started) if started else min(v.valid_from for v in versions)
    )
    same_day = [v for v in versions if v.valid_from == latest_from]
    return max(same_day, key=lambda v: (v.recorded_at, v.pk)).hours


def reference_required_x7(position: Position, monday: dt.date) -> Decimal:
    versions = list(WeeklyHours.objects.filter(position=position))
    requirements = list(CoverageRequirement.objects.filter(position=position))
    total = D(0)
    for i in range(7):
        day = monday + days(i)
        covering = [r for r in requirements if r.start_date <= day <= r.end_date]
        is_open = position.start_date <= day and (
            position.end_date is None or day <= position.end_date
        )
        if covering:
            total += covering[0].required_hours
        elif is_open:
            total += in_force(versions, day)
    return total


def rounded(x7: Decimal) -> str:
    return f"{(x7 / 7).quantize(D('0.01'), ROUND_HALF_UP):.2f}"


def add(position: Position, valid_from: dt.date, hours: str) -> None:
    services.weekly_hours_add(position=position, valid_from=valid_from, hours=D(hours), actor=None)


@pytest.fixture
def unit() -> OrgUnit:
    return make_unit()


@pytest.fixture
def positions(unit) -> list[Position]:
    # Opens on a Wednesday; changes mid-week, on a Monday, on a Sunday, a correction of the same
    # valid_from, zero hours; a requirement over a version change; closes mid-week.
    ward = make_position(unit, start_date=dt.date(2026, 3, 4), weekly_hours=D("40"))
    add(ward, dt.date(2026, 3, 19), "16.50")
    add(ward, dt.date(2026, 4, 13), "10")
    add(ward, dt.date(2026, 4, 13), "0")  # the correction wins
    add(ward, dt.date(2026, 4, 26), "33.33")
    ward = services.position_update(position=ward, end_date=dt.date(2026, 5, 20))
    requirement_create(
        position=ward,
        start_date=dt.date(2026, 3, 17),
        end_date=dt.date(2026, 3, 24),
        required_hours=D("60"),
    )
    # The start moved later after the versions were written: days before it demand nothing.
    desk = make_position(unit, start_date=dt.date(2026, 3, 4), weekly_hours=D("12.34"))
    add(desk, dt.date(2026, 3, 12), "7")
    desk = services.position_update(position=desk, start_date=dt.date(2026, 3, 10))
    # The start moved earlier: the first version covers the days before its valid_from; a
    # requirement partly before the start.
    lab = make_position(unit, start_date=dt.date(2026, 3, 4), weekly_hours=D("20"))
    add(lab, dt.date(2026, 5, 6), "45")
    lab = services.position_update(position=lab, start_date=dt.date(2026, 2, 25))
    requirement_create(
        position=lab,
        start_date=dt.date(2026, 2, 20),
        end_date=dt.date(2026, 2, 27),
        required_hours=D("8"),
    )
    # Opens in the future, with a change before its first open week ends.
    ops = make_position(unit, start_date=dt.date(2026, 6, 3), weekly_hours=D("16"))
    add(ops, dt.date(2026, 6, 9), "24")
    return [ward, desk, lab, ops]


def mondays() -> list[dt.date]:
    return [FIRST + days(7 * i) for i in range((LAST - FIRST).days // 7 + 1)]


def test_coverage_required_equals_the_day_by_day_reference(positions, as_admin):
    response = as_admin.get(
        "/api/v1/coverage/",
        {"from": FIRST.isoformat(), "to": LAST.isoformat(), "page_size": 100},
    )
    assert response.status_code == 200, response.content
    got = {(r["position"], r["week_start"]): r for r in response.json()["results"]}
    assert len(got) == len(positions) * len(mondays())
    for position in positions:
        for monday in mondays():
            row = got[(position.pk, monday.isoformat())]
            expected = rounded(reference_required_x7(position, monday))
            assert (row["required"], row["assigned"]) == (expected, "0.00"), (
                position.code,
                monday,
            )


def test_summary_rolls_up_the_same_required_hours(positions, unit):
    (first_week_total, *_) = rows = coverage_summary(first=FIRST, last=LAST, targets=[unit])
    assert len(rows) == len(mondays())
    for row, monday in zip(rows, mondays(), strict=True):
        x7 = sum((reference_required_x7(p, monday) for p in positions), D(0))
        assert f"{row.required:.2f}" == rounded(x7), monday
    assert first_week_total.week_start == FIRST


def test_a_week_with_a_mid_week_change(positions):
    ward = positions[0]
    (week,) = coverage_weeks(
        first=dt.date(2026, 4, 20), last=dt.date(2026, 4, 20), position_ids=[ward.pk]
    )
    # W17: Mon-Sat 0 h, Sunday 33.33 h: 33.33 / 7 = 4.76
    assert week.required == D("4.76")
