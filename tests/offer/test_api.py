"""supply/ through the API: rows and values, pagination, CSV download, bad parameters, role
scoping and query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest

from apps.offer.services import ledger_entry_create
from apps.reports.weeks import MAX_WEEKS
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db

W10 = dt.date(2026, 3, 2)  # Monday of 2026-W10
W11, W12 = W10 + dt.timedelta(weeks=1), W10 + dt.timedelta(weeks=2)
RANGE = {"from": "2026-03-02", "to": "2026-03-29"}  # W10..W13
WEEKS = ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
FIELDS = [
    "employee",
    "week",
    "week_start",
    "contract",
    "ledger",
    "supply",
    "assigned",
    "free",
    "working_hours",
]
SUPPLY = "/api/v1/supply/"
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


def values(rows: list[dict[str, Any]], employee: Any) -> list[tuple[str, ...]]:
    """(week, contract, ledger, supply, assigned, free) of one employee's rows."""
    return [
        (r["week"], r["contract"], r["ledger"], r["supply"], r["assigned"], r["free"])
        for r in rows
        if r["employee"] == employee.pk
    ]


@pytest.fixture
def org(manager_user, admin_user) -> dict[str, Any]:
    """HQ with WARD below it (the manager's scope) and OTHER.

    Ann (WARD, 40 h): approved 30 h on nurse from Thursday of W10, leave Monday-Wednesday of
    W11 at 40 h/week. Bob (WARD, 35 h): hired on Wednesday of W12. Cid (OTHER, 20 h).
    """
    hq = make_unit("HQ")
    ward = make_unit("WARD", parent=hq)
    other = make_unit("OTHER")
    nurse = make_position(ward, code="NURSE", start_date=dt.date(2025, 1, 6))
    ann = make_employee(ward, contract_hours=D("40"), hire_date=dt.date(2025, 1, 6))
    bob = make_employee(ward, contract_hours=D("35"), hire_date=W12 + dt.timedelta(days=2))
    cid = make_employee(other, contract_hours=D("20"), hire_date=dt.date(2025, 1, 6))
    make_assignment(ann, nurse, state="approved", start=W10 + dt.timedelta(days=3), hours="30")
    make_assignment(ann, nurse, state="proposed", start=W10, hours="10")  # not counted
    ledger_entry_create(
        employee=ann,
        kind="leave",
        start_date=W11,
        end_date=W11 + dt.timedelta(days=2),
        hours_per_week=D("-40"),
        actor=admin_user,
    )
    manager_user.scope.add(ward)
    return {"hq": hq, "ward": ward, "other": other, "ann": ann, "bob": bob, "cid": cid}


# --- rows and values ----------------------------------------------------------------------


def test_supply_rows_have_the_contract_fields_and_values(as_admin, org):
    rows = results(as_admin.get(SUPPLY, {**RANGE, "page_size": 100}))
    assert [list(r) for r in rows] == [FIELDS] * 12
    ann, bob, cid = org["ann"], org["bob"], org["cid"]
    assert rows[0] == {
        "employee": ann.pk,
        "week": "2026-W10",
        "week_start": "2026-03-02",
        "contract": "40.00",
        "ledger": "0.00",
        "supply": "40.00",
        "assigned": "17.14",  # Thursday to Sunday: 4/7 of 30 h
        "free": "22.86",
        "working_hours": None,  # no calendar up the tree
    }
    assert values(rows, ann) == [
        ("2026-W10", "40.00", "0.00", "40.00", "17.14", "22.86"),
        # Three days of leave at 40 h/week: −17.14; overcommitted that week.
        ("2026-W11", "40.00", "-17.14", "22.86", "30.00", "-7.14"),
        ("2026-W12", "40.00", "0.00", "40.00", "30.00", "10.00"),
        ("2026-W13", "40.00", "0.00", "40.00", "30.00", "10.00"),
    ]
    assert values(rows, bob) == [
        ("2026-W10", "0.00", "0.00", "0.00", "0.00", "0.00"),
        ("2026-W11", "0.00", "0.00", "0.00", "0.00", "0.00"),
        ("2026-W12", "25.00", "0.00", "25.00", "0.00", "25.00"),  # 5/7 of 35 h
        ("2026-W13", "35.00", "0.00", "35.00", "0.00", "35.00"),
    ]
    assert [r[1] for r in values(rows, cid)] == ["20.00"] * 4
    # Ordered by employee, then week.
    assert [(r["employee"], r["week"]) for r in rows] == sorted(
        (r["employee"], r["week"]) for r in rows
    )


def test_supply_of_one_employee_and_of_a_subtree(as_admin, org):
    rows = results(as_admin.get(SUPPLY, {**RANGE, "employee": org["bob"].pk}))
    assert {r["employee"] for r in rows} == {org["bob"].pk}
    assert [r["week"] for r in rows] == WEEKS
    rows = results(as_admin.get(SUPPLY, {**RANGE, "org_unit": org["hq"].pk, "page_size": 100}))
    assert {r["employee"] for r in rows} == {org["ann"].pk, org["bob"].pk}
    rows = results(as_admin.get(SUPPLY, {**RANGE, "org_unit": org["other"].pk}))
    assert {r["employee"] for r in rows} == {org["cid"].pk}


def test_employment_ending_mid_week_counts_pro_rata(as_admin):
    # Employed until Tuesday of W10: 2/7 of 35 h.
    employee = make_employee(
        make_unit(),
        contract_hours=D("35"),
        hire_date=dt.date(2025, 1, 6),
        termination_date=W10 + dt.timedelta(days=1),
    )
    rows = results(as_admin.get(SUPPLY, {"from": "2026-03-02", "to": "2026-03-09"}))
    assert values(rows, employee) == [
        ("2026-W10", "10.00", "0.00", "10.00", "0.00", "10.00"),
        ("2026-W11", "0.00", "0.00", "0.00", "0.00", "0.00"),
    ]


# --- pagination ---------------------------------------------------------------------------


def test_supply_is_paginated_over_employees_times_weeks(as_admin, org):
    everything = results(as_admin.get(SUPPLY, {**RANGE, "page_size": 100}))
    response = as_admin.get(SUPPLY, {**RANGE, "page_size": 5})
    body = response.json()
    assert (body["count"], len(body["results"]), body["previous"]) == (12, 5, None)
    collected = body["results"]
    while body["next"]:
        body = as_admin.get(body["next"]).json()
        assert body["previous"] is not None
        collected += body["results"]
    assert collected == everything
    last = as_admin.get(SUPPLY, {**RANGE, "page_size": 5, "page": 3}).json()
    assert (len(last["results"]), last["next"]) == (2, None)
    problem(as_admin.get(SUPPLY, {**RANGE, "page_size": 5, "page": 4}), 404)


# --- CSV ----------------------------------------------------------------------------------


def test_supply_csv_is_a_download_with_every_row(as_admin, org):
    json_rows = results(as_admin.get(SUPPLY, {**RANGE, "page_size": 100}))
    response = as_admin.get(SUPPLY, {**RANGE, "format": "csv", "page_size": 5})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == 'attachment; filename="supply_2026-W10_2026-W13.csv"'
    text = response.getvalue().decode("utf-8")
    reader = csv.DictReader(io.StringIO(text))
    rows = list(reader)
    assert reader.fieldnames == FIELDS
    assert text.count("\n") == len(rows) + 1 == 13  # header + every row, not one page
    # CSV has no null: working_hours without a calendar is an empty cell.
    assert rows == [{k: "" if v is None else str(v) for k, v in r.items()} for r in json_rows]


def test_supply_csv_without_rows_has_its_header(as_employee, org):
    response = as_employee.get(SUPPLY, {**RANGE, "format": "csv"})
    assert response.status_code == 200
    assert response.getvalue().decode("utf-8") == ",".join(FIELDS) + "\n"


def test_supply_csv_with_bad_parameters_is_a_json_problem(as_admin, org):
    response = as_admin.get(SUPPLY, {**RANGE, "format": "csv", "employee": "nobody"})
    body = problem(response, 400)
    assert "employee" in body["errors"]
    assert "Content-Disposition" not in response


# --- bad parameters -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2026-03-29", "to": "2026-03-02"}, "to"),
        (
            {"from": "2026-01-05", "to": str(dt.date(2026, 1, 5) + dt.timedelta(weeks=MAX_WEEKS))},
            "to",
        ),
        ({"from": "2026-02-30"}, "from"),
        ({"to": "03/29/2026"}, "to"),
        ({"org_unit": "999999"}, "org_unit"),
        ({"org_unit": "x"}, "org_unit"),
        ({"employee": "999999"}, "employee"),
        ({"employee": "99999999999999999999999"}, "employee"),
        ({"page_size": "-3"}, "page_size"),
    ],
)
def test_bad_parameters_are_400_problems(as_admin, org, params, field):
    body = problem(as_admin.get(SUPPLY, params), 400)
    assert field in body["errors"], body


@pytest.mark.parametrize("params", [{"from": "9999-12-31"}, {"from": "0001-01-01"}])
def test_dates_at_the_ends_of_the_calendar_are_not_500(as_admin, org, params):
    response = as_admin.get(SUPPLY, params)
    assert response.status_code == 200, response.content
    assert response.json()["count"] > 0


def test_anonymous_is_401(api_client, org):
    problem(api_client.get(SUPPLY, RANGE), 401)


# --- roles --------------------------------------------------------------------------------


def test_manager_sees_only_employees_in_scope(as_manager, org):
    rows = results(as_manager.get(SUPPLY, {**RANGE, "page_size": 100}))
    assert {r["employee"] for r in rows} == {org["ann"].pk, org["bob"].pk}
    assert len(rows) == 8


def test_manager_filters_out_of_scope_are_400(as_manager, org):
    body = problem(as_manager.get(SUPPLY, {**RANGE, "employee": org["cid"].pk}), 400)
    assert "employee" in body["errors"]
    for unit in ("hq", "other"):
        body = problem(as_manager.get(SUPPLY, {**RANGE, "org_unit": org[unit].pk}), 400)
        assert "org_unit" in body["errors"]


def test_auditor_sees_everything(as_auditor, as_admin, org):
    params = {**RANGE, "page_size": 100}
    rows = results(as_auditor.get(SUPPLY, params))
    assert rows == results(as_admin.get(SUPPLY, params))
    assert len(rows) == 12


def test_employee_sees_only_their_own_supply(as_employee, employee_user, org):
    org["ann"].user = employee_user
    org["ann"].save(update_fields=["user"])
    rows = results(as_employee.get(SUPPLY, RANGE))
    assert values(rows, org["ann"]) == [
        ("2026-W10", "40.00", "0.00", "40.00", "17.14", "22.86"),
        ("2026-W11", "40.00", "-17.14", "22.86", "30.00", "-7.14"),
        ("2026-W12", "40.00", "0.00", "40.00", "30.00", "10.00"),
        ("2026-W13", "40.00", "0.00", "40.00", "30.00", "10.00"),
    ]
    assert len(rows) == 4
    problem(as_employee.get(SUPPLY, {**RANGE, "employee": org["bob"].pk}), 400)


def test_employee_without_a_record_sees_no_supply(as_employee, org):
    body = as_employee.get(SUPPLY, RANGE).json()
    assert (body["count"], body["results"]) == (0, [])


# --- query counts -------------------------------------------------------------------------


@pytest.fixture
def local_cache(settings) -> None:
    """Throttle counters in process memory: with the database cache they add queries per
    request whatever the endpoint (see tests/org/test_api.py)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.parametrize("role", ["admin", "manager", "employee"])
def test_supply_query_count_is_flat_in_weeks_and_employees(
    role,
    request,
    manager_user,
    employee_user,
    admin_user,
    local_cache,
    django_assert_max_num_queries,
):
    client = request.getfixturevalue(f"as_{role}")
    root = make_unit()
    manager_user.scope.add(root)
    position = make_position(root, start_date=dt.date(2025, 1, 6))
    make_employee(root, user=employee_user, hire_date=dt.date(2025, 1, 6))

    def add_employees(n: int) -> None:
        for _ in range(n):
            employee = make_employee(make_unit(parent=root), hire_date=dt.date(2025, 1, 6))
            make_assignment(employee, position, state="active", start=dt.date(2026, 1, 5))
            ledger_entry_create(
                employee=employee,
                kind="extra_availability",
                start_date=W10,
                end_date=W11,
                hours_per_week=D("4"),
                actor=admin_user,
            )

    def measure(weeks: int) -> int:
        last = dt.date(2026, 1, 5) + dt.timedelta(weeks=weeks - 1)
        params = {"from": "2026-01-05", "to": str(last), "page_size": 100}
        client.get(SUPPLY, params)  # warm up per-process caches
        with django_assert_max_num_queries(6) as captured:
            response = client.get(SUPPLY, params)
        assert response.status_code == 200, response.content
        assert response.json()["count"] > 0
        return len(captured.captured_queries)

    counts = {}
    add_employees(1)
    counts[(2, 4)], counts[(2, 52)] = measure(4), measure(52)
    add_employees(28)
    counts[(30, 4)], counts[(30, 52)] = measure(4), measure(52)
    assert len(set(counts.values())) == 1, counts
