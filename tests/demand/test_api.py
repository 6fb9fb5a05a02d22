"""coverage/ and coverage/summary/ through the API: rows, pagination, CSV downloads, bad
parameters, role scoping and query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from apps.demand.services import requirement_create
from apps.org.models import OrgUnit, Position
from apps.reports.weeks import MAX_WEEKS, week_label
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

W10 = dt.date(2026, 3, 2)  # Monday of 2026-W10
W11, W12, W13 = (W10 + dt.timedelta(weeks=i) for i in (1, 2, 3))
RANGE = {"from": "2026-03-02", "to": "2026-03-29"}  # W10..W13
WEEKS = ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
COVERAGE_FIELDS = [
    "position",
    "week",
    "week_start",
    "required",
    "assigned",
    "gap",
    "ratio",
    "holiday_hours_lost",
    "leave_hours_lost",
]
SUMMARY_FIELDS = [
    "org_unit",
    "org_unit_code",
    "week",
    "week_start",
    "required",
    "assigned",
    "gap",
    "ratio",
    "holiday_hours_lost",
    "leave_hours_lost",
]
COVERAGE = "/api/v1/coverage/"
SUMMARY = "/api/v1/coverage/summary/"
D = Decimal


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status` (and `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    rows: list[dict[str, Any]] = response.json()["results"]
    return rows


def csv_rows(response: Any) -> tuple[list[str], list[dict[str, str]]]:
    """The header and the rows of a CSV download."""
    text = response.getvalue().decode("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    assert text.count("\n") == len(rows) + 1  # one line per row, plus the header
    return list(reader.fieldnames or []), rows


@pytest.fixture
def org(manager_user) -> dict[str, Any]:
    """HQ (with WARD and LAB below it) and OTHER; the manager's scope is WARD.

    nurse (WARD, 40 h, a 60 h requirement in W11, Ann approved 30 h from Thursday of W10),
    tech (LAB, 20 h), ext (OTHER, 10 h), idle (LAB, 0 h: the ratio is null).
    """
    hq = make_unit("HQ")
    ward = make_unit("WARD", parent=hq)
    lab = make_unit("LAB", parent=hq)
    other = make_unit("OTHER")
    start = dt.date(2026, 1, 5)
    nurse = make_position(ward, code="NURSE", weekly_hours=D("40"), start_date=start)
    tech = make_position(lab, code="TECH", weekly_hours=D("20"), start_date=start)
    ext = make_position(other, code="EXT", weekly_hours=D("10"), start_date=start)
    idle = make_position(lab, code="IDLE", weekly_hours=D("0"), start_date=start)
    requirement_create(
        position=nurse, start_date=W11, end_date=W11 + dt.timedelta(days=6), required_hours=D("60")
    )
    ann = make_employee(ward, hire_date=dt.date(2025, 1, 6))
    make_assignment(ann, nurse, state="approved", start=W10 + dt.timedelta(days=3), hours="30")
    make_assignment(ann, tech, state="proposed", start=W10, hours="20")  # not counted
    manager_user.scope.add(ward)
    return {
        "hq": hq,
        "ward": ward,
        "lab": lab,
        "other": other,
        "nurse": nurse,
        "tech": tech,
        "ext": ext,
        "idle": idle,
    }


# --- coverage/: rows and values --------------------------------------------------------------


def test_coverage_rows_have_the_contract_fields_and_values(as_admin, org):
    rows = results(as_admin.get(COVERAGE, {**RANGE, "position": org["nurse"].pk}))
    assert [list(r) for r in rows] == [COVERAGE_FIELDS] * 4
    assert rows == [
        {
            "position": org["nurse"].pk,
            "week": "2026-W10",
            "week_start": "2026-03-02",
            # Thursday to Sunday: 4/7 of 30 h.
            "required": "40.00",
            "assigned": "17.14",
            "gap": "22.86",
            "ratio": "0.4285",
            "holiday_hours_lost": "0.00",
            "leave_hours_lost": "0.00",
        },
        {
            "position": org["nurse"].pk,
            "week": "2026-W11",
            "week_start": "2026-03-09",
            "required": "60.00",
            "assigned": "30.00",
            "gap": "30.00",
            "ratio": "0.5000",
            "holiday_hours_lost": "0.00",
            "leave_hours_lost": "0.00",
        },
        {
            "position": org["nurse"].pk,
            "week": "2026-W12",
            "week_start": "2026-03-16",
            "required": "40.00",
            "assigned": "30.00",
            "gap": "10.00",
            "ratio": "0.7500",
            "holiday_hours_lost": "0.00",
            "leave_hours_lost": "0.00",
        },
        {
            "position": org["nurse"].pk,
            "week": "2026-W13",
            "week_start": "2026-03-23",
            "required": "40.00",
            "assigned": "30.00",
            "gap": "10.00",
            "ratio": "0.7500",
            "holiday_hours_lost": "0.00",
            "leave_hours_lost": "0.00",
        },
    ]


def test_coverage_of_a_position_without_demand_has_a_null_ratio(as_admin, org):
    rows = results(as_admin.get(COVERAGE, {**RANGE, "position": org["idle"].pk}))
    assert {(r["required"], r["assigned"], r["gap"], r["ratio"]) for r in rows} == {
        ("0.00", "0.00", "0.00", None)
    }


def test_coverage_ratio_rounds_half_away_from_zero(as_admin, unit_with_position_of):
    # 1 h of 32 h is 0.03125: rounded like PostgreSQL's ROUND (and spreadsheets), 0.0313.
    position = unit_with_position_of("32")
    employee = make_employee(position.org_unit, hire_date=dt.date(2025, 1, 6))
    make_assignment(employee, position, state="active", start=W10, hours="1")
    [row] = results(as_admin.get(COVERAGE, {"from": "2026-03-02", "to": "2026-03-02"}))
    assert (row["required"], row["assigned"], row["ratio"]) == ("32.00", "1.00", "0.0313")


@pytest.fixture
def unit_with_position_of():
    def make(hours: str) -> Position:
        return make_position(make_unit(), weekly_hours=D(hours), start_date=dt.date(2026, 1, 5))

    return make


def test_coverage_dates_inside_weeks_cover_the_whole_weeks(as_admin, org):
    # Wednesday of W10 to Tuesday of W13: still the four weeks, each counted from Monday.
    rows = results(
        as_admin.get(
            COVERAGE, {"from": "2026-03-04", "to": "2026-03-24", "position": org["nurse"].pk}
        )
    )
    assert [r["week"] for r in rows] == WEEKS
    assert rows[0]["required"] == "40.00"


def test_coverage_lists_a_position_opening_late_in_the_last_week(as_admin):
    # Opens on Friday of W13: it demands 3/7 of 35 h in W13 and must be listed.
    position = make_position(make_unit(), weekly_hours=D("35"), start_date=W13 + dt.timedelta(4))
    response = as_admin.get(COVERAGE, RANGE)
    rows = results(response)
    assert response.json()["count"] == 4
    assert [(r["position"], r["week"], r["required"]) for r in rows] == [
        (position.pk, "2026-W10", "0.00"),
        (position.pk, "2026-W11", "0.00"),
        (position.pk, "2026-W12", "0.00"),
        (position.pk, "2026-W13", "15.00"),
    ]


def test_coverage_leaves_out_positions_closed_for_the_whole_range(as_admin):
    unit = make_unit()
    make_position(unit, start_date=dt.date(2025, 1, 6), end_date=W10 - dt.timedelta(days=1))
    make_position(unit, start_date=W13 + dt.timedelta(days=7))
    open_one = make_position(unit, start_date=dt.date(2025, 1, 6), end_date=W10)
    rows = results(as_admin.get(COVERAGE, RANGE))
    assert {r["position"] for r in rows} == {open_one.pk}
    assert [r["required"] for r in rows] == ["5.71", "0.00", "0.00", "0.00"]  # one day of 40 h


def test_a_weeks_figures_do_not_depend_on_the_range_asked_for(as_admin):
    # Closed after W09, but a requirement demands 60 h in W10: W10 shows 60 h whether or not
    # the range also covers a week in which the position is open.
    unit = make_unit("SHUT")
    position = make_position(unit, start_date=dt.date(2025, 1, 6), end_date=W10 - dt.timedelta(1))
    requirement_create(
        position=position, start_date=W10, end_date=W10 + dt.timedelta(6), required_hours=D("60")
    )
    for first in ("2026-02-23", "2026-03-02"):  # W09..W10, then W10 alone
        params = {"from": first, "to": "2026-03-08"}
        rows = results(as_admin.get(COVERAGE, params))
        assert [(r["position"], r["required"]) for r in rows if r["week"] == "2026-W10"] == [
            (position.pk, "60.00")
        ], first
        rows = results(as_admin.get(SUMMARY, {**params, "org_unit": unit.pk}))
        assert [r["required"] for r in rows if r["week"] == "2026-W10"] == ["60.00"], first


def test_coverage_filters_by_org_unit_subtree(as_admin, org):
    rows = results(as_admin.get(COVERAGE, {**RANGE, "org_unit": org["hq"].pk}))
    assert {r["position"] for r in rows} == {org["nurse"].pk, org["tech"].pk, org["idle"].pk}
    rows = results(as_admin.get(COVERAGE, {**RANGE, "org_unit": org["lab"].pk}))
    assert {r["position"] for r in rows} == {org["tech"].pk, org["idle"].pk}


# --- pagination ---------------------------------------------------------------------------


def test_coverage_is_paginated_over_positions_times_weeks(as_admin, org):
    everything = results(as_admin.get(COVERAGE, {**RANGE, "page_size": 100}))
    assert len(everything) == 4 * 4
    pages, page, url = [], 0, None
    response = as_admin.get(COVERAGE, {**RANGE, "page_size": 5})
    while True:
        page += 1
        body = response.json()
        assert body["count"] == 16
        assert len(body["results"]) == (5 if page < 4 else 1)
        pages += body["results"]
        url = body["next"]
        if url is None:
            break
        response = as_admin.get(url)
        assert response.json()["previous"] is not None
    assert page == 4
    assert pages == everything  # the pages put together are the whole grid, in order
    # Rows are ordered by position, then week.
    assert [(r["position"], r["week"]) for r in everything] == sorted(
        (r["position"], r["week"]) for r in everything
    )


def test_coverage_default_page_size_and_cap(as_admin):
    unit = make_unit()
    for _ in range(3):
        make_position(unit, start_date=dt.date(2025, 1, 6))
    # 3 positions × 52 weeks = 156 rows.
    params = {"from": "2026-01-05", "to": "2026-12-28"}
    body = as_admin.get(COVERAGE, params).json()
    assert (body["count"], len(body["results"])) == (156, 25)
    body = as_admin.get(COVERAGE, {**params, "page_size": 1000}).json()
    assert (body["count"], len(body["results"])) == (156, 100)
    body = as_admin.get(COVERAGE, {**params, "page_size": 100, "page": 2}).json()
    assert len(body["results"]) == 56
    assert body["next"] is None


def test_coverage_page_past_the_end_is_404(as_admin, org):
    problem(as_admin.get(COVERAGE, {**RANGE, "page": 99}), 404)


# --- CSV ----------------------------------------------------------------------------------


def test_coverage_csv_is_a_download_with_every_row(as_admin, org):
    json_rows = results(as_admin.get(COVERAGE, {**RANGE, "page_size": 100}))
    response = as_admin.get(COVERAGE, {**RANGE, "format": "csv", "page_size": 5})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="coverage_2026-W10_2026-W13.csv"'
    )
    header, rows = csv_rows(response)
    assert header == COVERAGE_FIELDS
    assert len(rows) == 16  # not paginated: the whole grid
    as_text = [{k: "" if v is None else str(v) for k, v in r.items()} for r in json_rows]
    assert rows == as_text


def test_summary_csv_is_a_download_with_every_row(as_admin, org):
    params = {**RANGE, "depth": 1}
    json_rows = results(as_admin.get(SUMMARY, {**params, "page_size": 100}))
    response = as_admin.get(SUMMARY, {**params, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="coverage_summary_2026-W10_2026-W13.csv"'
    )
    header, rows = csv_rows(response)
    assert header == SUMMARY_FIELDS
    assert len(rows) == 4 * 4  # HQ, LAB, WARD, OTHER × 4 weeks
    assert rows == [{k: "" if v is None else str(v) for k, v in r.items()} for r in json_rows]


def test_empty_csv_still_has_its_header(as_employee, org):
    for url, fields in ((COVERAGE, COVERAGE_FIELDS), (SUMMARY, SUMMARY_FIELDS)):
        response = as_employee.get(url, {**RANGE, "format": "csv"})
        assert response.status_code == 200
        header, rows = csv_rows(response)
        assert (header, rows) == (fields, [])


def test_csv_with_bad_parameters_is_a_json_problem(as_admin, org):
    for url, params, field in (
        (COVERAGE, {"format": "csv", "from": "2026-13-01"}, "from"),
        (SUMMARY, {"format": "csv", "depth": "x"}, "depth"),
    ):
        response = as_admin.get(url, params)
        body = problem(response, 400)
        assert field in body["errors"]
        assert "Content-Disposition" not in response


# --- bad parameters: 400 problems, never 500 -------------------------------------------------


BAD_PARAMS = [
    ({"from": "2026-03-29", "to": "2026-03-02"}, "to"),
    ({"from": "2026-01-05", "to": str(dt.date(2026, 1, 5) + dt.timedelta(weeks=MAX_WEEKS))}, "to"),
    ({"from": "2026-13-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-02-30"}, "to"),
    ({"org_unit": "999999"}, "org_unit"),
    ({"org_unit": "abc"}, "org_unit"),
    ({"org_unit": "99999999999999999999999"}, "org_unit"),
    ({"page": "0"}, "page"),
    ({"page": "abc"}, "page"),
    ({"page_size": "0"}, "page_size"),
]


@pytest.mark.parametrize("url", [COVERAGE, SUMMARY])
@pytest.mark.parametrize(("params", "field"), BAD_PARAMS)
def test_bad_parameters_are_400_problems(as_admin, org, url, params, field):
    body = problem(as_admin.get(url, params), 400)
    assert field in body["errors"], body


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        (COVERAGE, {"position": "999999"}, "position"),
        (COVERAGE, {"position": "1.5"}, "position"),
        (SUMMARY, {"depth": "-1"}, "depth"),
        (SUMMARY, {"depth": "deep"}, "depth"),
        (SUMMARY, {"depth": "21"}, "depth"),
        (COVERAGE, {"format": "json", "page_size": "many"}, "page_size"),
    ],
)
def test_bad_filters_are_400_problems(as_admin, org, url, params, field):
    body = problem(as_admin.get(url, params), 400)
    assert field in body["errors"], body


@pytest.mark.parametrize("url", [COVERAGE, SUMMARY])
def test_unknown_format_is_a_400_problem_not_a_500(as_admin, org, url):
    body = problem(as_admin.get(url, {**RANGE, "format": "xml"}), 400)
    assert "format" in body["errors"]


def test_the_longest_range_allowed_is_max_weeks(as_admin, org):
    last = dt.date(2026, 1, 5) + dt.timedelta(weeks=MAX_WEEKS - 1, days=6)
    response = as_admin.get(SUMMARY, {"from": "2026-01-05", "to": str(last)})
    assert response.status_code == 200
    assert response.json()["count"] == 2 * MAX_WEEKS  # HQ and OTHER


@pytest.mark.parametrize("url", [COVERAGE, SUMMARY])
@pytest.mark.parametrize(
    "params",
    [
        {"from": "9999-12-31"},  # the default `to` (12 weeks on) is past the last date
        {"from": "9999-12-31", "to": "9999-12-31"},
        {"from": "0001-01-01", "to": "0001-01-07"},
    ],
)
def test_dates_at_the_ends_of_the_calendar_are_not_500(as_admin, org, url, params):
    response = as_admin.get(url, params)
    assert response.status_code == 200, response.content
    first = dt.date.fromisoformat(params["from"])
    weeks = {r["week"] for r in response.json()["results"]}
    assert weeks <= {week_label(first - dt.timedelta(days=first.weekday()))}
    # Positions open since 2026 are open in 9999; the summary always lists its units.
    assert weeks or (url == COVERAGE and first.year == 1)


def test_anonymous_is_401(api_client, org):
    for url in (COVERAGE, SUMMARY):
        problem(api_client.get(url, RANGE), 401)


# --- summary ------------------------------------------------------------------------------


def test_summary_rolls_up_subtrees_with_the_contract_fields(as_admin, org):
    rows = results(as_admin.get(SUMMARY, {**RANGE, "depth": 1, "page_size": 100}))
    assert [list(r) for r in rows] == [SUMMARY_FIELDS] * 16
    w10 = {r["org_unit_code"]: r for r in rows if r["week"] == "2026-W10"}
    assert w10["HQ"] == {
        "org_unit": org["hq"].pk,
        "org_unit_code": "HQ",
        "week": "2026-W10",
        "week_start": "2026-03-02",
        "required": "60.00",
        "assigned": "17.14",
        "gap": "42.86",
        "ratio": "0.2857",
        "holiday_hours_lost": "0.00",
        "leave_hours_lost": "0.00",
    }
    assert (w10["WARD"]["required"], w10["WARD"]["assigned"]) == ("40.00", "17.14")
    assert (w10["LAB"]["required"], w10["LAB"]["assigned"], w10["LAB"]["ratio"]) == (
        "20.00",
        "0.00",
        "0.0000",
    )
    assert (w10["OTHER"]["required"], w10["OTHER"]["assigned"]) == ("10.00", "0.00")
    w11 = {r["org_unit_code"]: r["required"] for r in rows if r["week"] == "2026-W11"}
    assert w11 == {"HQ": "80.00", "WARD": "60.00", "LAB": "20.00", "OTHER": "10.00"}


def test_summary_default_is_the_top_units(as_admin, org):
    rows = results(as_admin.get(SUMMARY, RANGE))
    assert [(r["org_unit_code"], r["week"]) for r in rows] == [
        (code, week) for code in ("HQ", "OTHER") for week in WEEKS
    ]


def test_summary_of_one_unit(as_admin, org):
    rows = results(as_admin.get(SUMMARY, {**RANGE, "org_unit": org["lab"].pk}))
    assert [(r["org_unit"], r["required"]) for r in rows] == [(org["lab"].pk, "20.00")] * 4


# --- roles --------------------------------------------------------------------------------


def test_manager_sees_only_positions_in_scope(as_manager, org):
    rows = results(as_manager.get(COVERAGE, RANGE))
    assert {r["position"] for r in rows} == {org["nurse"].pk}
    assert len(rows) == 4


def test_manager_summary_is_their_units(as_manager, org):
    rows = results(as_manager.get(SUMMARY, {**RANGE, "depth": 3}))
    assert {r["org_unit_code"] for r in rows} == {"WARD"}
    assert [r["required"] for r in rows] == ["40.00", "60.00", "40.00", "40.00"]


@pytest.mark.parametrize("unit", ["hq", "lab", "other"])
def test_manager_summary_of_a_unit_out_of_scope_is_400(as_manager, org, unit):
    body = problem(as_manager.get(SUMMARY, {**RANGE, "org_unit": org[unit].pk}), 400)
    assert "org_unit" in body["errors"]


def test_manager_coverage_out_of_scope_filters_are_400(as_manager, org):
    body = problem(as_manager.get(COVERAGE, {**RANGE, "position": org["tech"].pk}), 400)
    assert "position" in body["errors"]
    body = problem(as_manager.get(COVERAGE, {**RANGE, "org_unit": org["hq"].pk}), 400)
    assert "org_unit" in body["errors"]


def test_manager_with_nested_scope_sees_each_unit_once(as_manager, manager_user, org):
    manager_user.scope.add(org["hq"])  # HQ and WARD (which is inside HQ)
    response = as_manager.get(SUMMARY, {**RANGE, "depth": 1, "page_size": 100})
    rows = results(response)
    assert response.json()["count"] == len(rows) == 3 * 4
    assert sorted({r["org_unit_code"] for r in rows}) == ["HQ", "LAB", "WARD"]
    hq = [r["required"] for r in rows if r["org_unit_code"] == "HQ"]
    assert hq == ["60.00", "80.00", "60.00", "60.00"]


def test_auditor_sees_everything(as_auditor, as_admin, org):
    for url, params in ((COVERAGE, RANGE), (SUMMARY, {**RANGE, "depth": 2})):
        params = {**params, "page_size": 100}
        assert results(as_auditor.get(url, params)) == results(as_admin.get(url, params))
    assert len(results(as_auditor.get(COVERAGE, RANGE))) == 16


def test_employee_sees_no_coverage(as_employee, employee_user, org):
    make_employee(org["ward"], user=employee_user)
    for url in (COVERAGE, SUMMARY):
        response = as_employee.get(url, RANGE)
        assert response.status_code == 200
        assert response.json()["count"] == 0
        assert response.json()["results"] == []
    problem(as_employee.get(COVERAGE, {**RANGE, "position": org["nurse"].pk}), 400)
    problem(as_employee.get(SUMMARY, {**RANGE, "org_unit": org["ward"].pk}), 400)


# --- query counts -------------------------------------------------------------------------


@pytest.fixture
def local_cache(settings) -> None:
    """Throttle counters in process memory: with the database cache they add queries per
    request whatever the endpoint (see tests/org/test_api.py)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def weeks_params(weeks: int) -> dict[str, Any]:
    return {
        "from": "2026-01-05",
        "to": str(dt.date(2026, 1, 5) + dt.timedelta(weeks=weeks - 1)),
        "page_size": 100,
    }


def measure(client: Any, url: str, params: dict[str, Any], assert_max: Any) -> int:
    client.get(url, params)  # warm up per-process caches
    with assert_max(8) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, response.content
    assert response.json()["count"] > 0
    return len(captured.captured_queries)


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_coverage_query_count_is_flat_in_weeks_and_positions(
    role, request, manager_user, local_cache, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"as_{role}")
    root = make_unit()
    manager_user.scope.add(root)
    employee = make_employee(root, hire_date=dt.date(2025, 1, 6))

    def add_positions(n: int) -> None:
        for _ in range(n):
            position = make_position(make_unit(parent=root), start_date=dt.date(2025, 1, 6))
            make_assignment(employee, position, state="active", start=dt.date(2026, 1, 5))
            requirement_create(
                position=position, start_date=W10, end_date=W11, required_hours=D("12.5")
            )

    counts = {}
    add_positions(2)
    for weeks in (4, 52):
        counts[(2, weeks)] = measure(
            client, COVERAGE, weeks_params(weeks), django_assert_max_num_queries
        )
    add_positions(28)
    for weeks in (4, 52):
        counts[(30, weeks)] = measure(
            client, COVERAGE, weeks_params(weeks), django_assert_max_num_queries
        )
    assert len(set(counts.values())) == 1, counts


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_summary_query_count_is_flat_in_weeks_positions_and_units(
    role, request, manager_user, local_cache, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"as_{role}")
    roots: list[OrgUnit] = []

    def add(n: int) -> None:
        # n new top-level units (each in the manager's scope), each with a child and a position.
        for _ in range(n):
            top = make_unit()
            roots.append(top)
            manager_user.scope.add(top)
            make_position(make_unit(parent=top), start_date=dt.date(2025, 1, 6))

    counts = {}
    add(2)
    for weeks in (4, 52):
        counts[(2, weeks)] = measure(
            client, SUMMARY, {**weeks_params(weeks), "depth": 1}, django_assert_max_num_queries
        )
    add(28)
    for weeks in (4, 52):
        counts[(30, weeks)] = measure(
            client, SUMMARY, {**weeks_params(weeks), "depth": 1}, django_assert_max_num_queries
        )
    assert len(set(counts.values())) == 1, counts
    # The summary of one unit (looked up once more as a parameter) costs no more than that.
    one = measure(
        client,
        SUMMARY,
        {**weeks_params(52), "depth": 1, "org_unit": roots[0].pk},
        django_assert_max_num_queries,
    )
    assert one <= counts[(30, 52)] + 1, (one, counts)
