"""GET positions/?open_on=<date>: the positions open on that day, its first and last included
(until now only the fuzz run's random examples reached this filter)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories.org import make_position, make_unit

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 10)


def test_open_on_lists_the_positions_open_that_day(as_admin):
    unit = make_unit("OPEN-ON")
    one_day = dt.timedelta(days=1)
    open_ended = make_position(unit, start_date=DAY - 30 * one_day)
    starts_that_day = make_position(unit, start_date=DAY)
    ends_that_day = make_position(unit, start_date=DAY - 30 * one_day, end_date=DAY)
    make_position(unit, start_date=DAY - 30 * one_day, end_date=DAY - one_day)  # ended
    make_position(unit, start_date=DAY + one_day)  # not yet open

    response = as_admin.get("/api/v1/positions/", {"open_on": DAY.isoformat(), "page_size": 100})

    assert response.status_code == 200, response.content
    listed = {row["id"] for row in response.json()["results"]}
    assert listed == {open_ended.pk, starts_that_day.pk, ends_that_day.pk}
