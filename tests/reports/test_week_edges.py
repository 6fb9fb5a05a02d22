"""Week arithmetic at the edges of the calendar (issue 16, item 1): ranges in the last week of
year 9999 and the first of year 1 answer, on every endpoint that takes dates; never a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.reports.weeks import week_end, week_range, week_start
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import make_tag, need_tag

pytestmark = pytest.mark.django_db

EDGES = [
    ("9999-12-27", "9999-12-31"),  # the last ISO week holds 9999-12-27 (a Monday) .. 12-31
    ("9999-12-31", "9999-12-31"),
    ("0001-01-01", "0001-01-07"),
    ("0001-01-01", "0001-01-01"),
]


def test_the_helpers_stay_inside_the_calendar():
    assert week_end(dt.date(9999, 12, 27)) == dt.date.max
    assert week_start(dt.date(1, 1, 1)) == dt.date(1, 1, 1)
    assert week_range(dt.date(9999, 12, 31), dt.date(9999, 12, 31)) == [dt.date(9999, 12, 27)]


@pytest.fixture
def world():
    unit = make_unit()
    position = make_position(unit, start_date=dt.date(2026, 1, 5))
    employee = make_employee(unit)
    need_tag(position, make_tag())
    make_assignment(employee, position, state="approved", end=None)
    return position


@pytest.mark.parametrize(("first", "last"), EDGES)
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/coverage/",
        "/api/v1/coverage/summary/",
        "/api/v1/supply/",
        "/api/v1/positions/{pk}/candidates/",
    ],
)
def test_every_dated_report_answers_at_the_edges(as_admin, world, url, first, last):
    response = as_admin.get(url.format(pk=world.pk), {"from": first, "to": last})
    assert response.status_code == 200, response.content
    assert response.json() is not None


@pytest.mark.parametrize(("first", "last"), EDGES)
def test_csv_reports_answer_at_the_edges(as_admin, world, first, last):
    response = as_admin.get("/api/v1/supply/", {"from": first, "to": last, "format": "csv"})
    assert response.status_code == 200


@pytest.mark.parametrize(("start", "end"), [("9999-12-27", "9999-12-31"), ("0001-01-01", None)])
def test_assignments_at_the_edges_are_simulated_and_proposed_without_a_500(
    as_admin, world, start, end
):
    employee = make_employee(world.org_unit, hire_date=dt.date(1, 1, 1))
    body = {
        "employee": employee.pk,
        "position": world.pk,
        "start_date": start,
        "end_date": end,
        "weekly_hours": "10.00",
    }
    for url in ("/api/v1/assignments/simulate/", "/api/v1/assignments/"):
        response = as_admin.post(url, body, format="json")
        assert response.status_code < 500, (url, response.content)
