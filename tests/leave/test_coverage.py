"""Leave takes hours off the assignments (DESIGN §11): approving a week of leave for someone
assigned full time opens that week's gap on their position in coverage/, and
leave-requests/simulate/ predicted exactly that before, writing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.demand.selectors import coverage_weeks
from apps.leave.models import LeaveRequest
from tests.factories.assignments import make_assignment, only_rule
from tests.factories.org import make_employee, make_position
from tests.leave.conftest import (
    HIRED,
    LEAVE,
    MONDAY,
    NEXT_MONDAY,
    SUNDAY,
    asked,
    day,
    problem,
    ran,
    table_counts,
)

pytestmark = pytest.mark.django_db

SIMULATE = f"{LEAVE}simulate/"
THURSDAY = MONDAY + dt.timedelta(days=3)
WEEKS = (MONDAY, MONDAY + dt.timedelta(days=20))  # 2027-W09 to W11


def coverage(client, position, first=WEEKS[0], last=WEEKS[1]) -> dict[str, dict]:
    """coverage/ of `position` per week label; rows carry `leave_hours_lost` as the report's
    selector computes it."""
    response = client.get(
        "/api/v1/coverage/", {"position": position.pk, "from": day(first), "to": day(last)}
    )
    assert response.status_code == 200, response.content
    rows = {row["week"]: row for row in response.json()["results"]}
    selected = coverage_weeks(first=first, last=last, position_ids=[position.pk])
    assert {w.week: f"{w.leave_hours_lost:.2f}" for w in selected} == {
        week: row["leave_hours_lost"] for week, row in rows.items()
    }
    return rows


def simulate(client, **body) -> dict:
    response = client.post(SIMULATE, body, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def test_approving_a_week_of_leave_opens_the_week_gap(org, as_employee, as_manager):
    before = coverage(as_manager, org.position)
    assert [(w, r["assigned"], r["gap"]) for w, r in before.items()] == [
        ("2027-W09", "40.00", "0.00"),
        ("2027-W10", "40.00", "0.00"),
        ("2027-W11", "40.00", "0.00"),
    ]
    body = asked(as_employee)
    # Asked for is not yet taken.
    assert coverage(as_manager, org.position) == before

    predicted = simulate(as_manager, request=body["id"])
    assert predicted["coverage"] == [
        {
            "position": org.position.pk,
            "position_code": org.position.code,
            "week": "2027-W09",
            "week_start": day(MONDAY),
            "required": "40.00",
            "assigned_before": "40.00",
            "assigned_after": "0.00",
            "gap_before": "0.00",
            "gap_after": "40.00",
            "leave_hours_lost_after": "40.00",
        }
    ]
    assert predicted["gap_opened_hours"] == "40.00"

    ran(as_manager, body["id"], "approve")
    after = coverage(as_manager, org.position)
    week = after["2027-W09"]
    assert (week["required"], week["assigned"], week["gap"]) == ("40.00", "0.00", "40.00")
    assert week["leave_hours_lost"] == "40.00"
    assert week["ratio"] == "0.0000"
    assert after["2027-W10"]["gap"] == after["2027-W11"]["gap"] == "0.00"
    assert after["2027-W10"]["leave_hours_lost"] == "0.00"


def test_cancelling_approved_leave_closes_the_gap_again(org, as_employee, as_manager):
    body = asked(as_employee)
    ran(as_manager, body["id"], "approve")
    ran(as_employee, body["id"], "cancel")
    week = coverage(as_manager, org.position)["2027-W09"]
    assert (week["assigned"], week["gap"], week["leave_hours_lost"]) == ("40.00", "0.00", "0.00")


@pytest.fixture
def split(org):
    """An employee assigned 20 h to each of two 20 h positions."""
    first = make_position(org.unit, weekly_hours=Decimal("20.00"))
    second = make_position(org.unit, weekly_hours=Decimal("20.00"))
    employee = make_employee(org.unit)
    for position in (first, second):
        make_assignment(employee, position, state="active", start=HIRED, hours="20.00")
    return employee, first, second


@pytest.mark.parametrize(
    ("start", "end", "hours"),
    [
        (MONDAY, NEXT_MONDAY + dt.timedelta(days=6), None),  # two full weeks
        (THURSDAY, SUNDAY, None),  # half a week: 4 of its 7 days
        (THURSDAY, NEXT_MONDAY + dt.timedelta(days=2), None),  # across a week's end
        (MONDAY, SUNDAY, "20"),  # half the week's hours, given
    ],
)
def test_simulate_predicts_coverage_after_the_approval_week_by_week(
    split, as_admin, start, end, hours
):
    employee, first, second = split
    fields = {"employee": employee.pk, "start_date": day(start), "end_date": day(end)}
    if hours:
        fields["hours"] = hours
    body = asked(as_admin, start, end, **fields)
    predicted = simulate(as_admin, request=body["id"])
    by_fields = simulate(as_admin, **fields)
    for key in ("hours", "hours_per_week", "coverage", "gap_opened_hours"):
        assert predicted[key] == by_fields[key], key
    ran(as_admin, body["id"], "approve")

    actual = {p.pk: coverage(as_admin, p) for p in (first, second)}
    weeks = {(row["position"], row["week"]) for row in predicted["coverage"]}
    # Every week of the leave, on both positions.
    assert {w for _, w in weeks} == {
        label for label in actual[first.pk] if actual[first.pk][label]["leave_hours_lost"] != "0.00"
    }
    assert {p for p, _ in weeks} == {first.pk, second.pk}
    for row in predicted["coverage"]:
        now = actual[row["position"]][row["week"]]
        assert row["assigned_after"] == now["assigned"], row
        assert row["gap_after"] == now["gap"], row
        assert row["leave_hours_lost_after"] == now["leave_hours_lost"], row
        assert (row["assigned_before"], row["gap_before"]) == ("20.00", "0.00")
    # What the two positions lose is what the leave takes off the week's supply.
    lost = sum(Decimal(row["leave_hours_lost_after"]) for row in predicted["coverage"])
    assert lost == Decimal(predicted["gap_opened_hours"])


def test_two_weeks_of_full_leave_empty_both_positions(split, as_admin):
    employee, first, second = split
    end = NEXT_MONDAY + dt.timedelta(days=6)
    body = asked(as_admin, MONDAY, end, employee=employee.pk)
    assert body["hours"] == "80.00"
    ran(as_admin, body["id"], "approve")
    for position in (first, second):
        rows = coverage(as_admin, position)
        assert [(rows[w]["assigned"], rows[w]["gap"]) for w in ("2027-W09", "2027-W10")] == [
            ("0.00", "20.00"),
            ("0.00", "20.00"),
        ]
        assert rows["2027-W11"]["assigned"] == "20.00"


def test_half_a_week_of_leave_halves_both_positions(split, as_admin):
    employee, first, second = split
    body = asked(as_admin, MONDAY, SUNDAY, employee=employee.pk, hours="20")
    ran(as_admin, body["id"], "approve")
    for position in (first, second):
        week = coverage(as_admin, position)["2027-W09"]
        assert (week["assigned"], week["gap"], week["leave_hours_lost"]) == (
            "10.00",
            "10.00",
            "10.00",
        )


# --- simulate ----------------------------------------------------------------------------------


def test_simulate_by_fields_answers_hours_balance_and_coverage(org, as_manager):
    result = simulate(
        as_manager,
        employee=org.employee.pk,
        start_date=day(MONDAY),
        end_date=day(SUNDAY),
    )
    assert result["employee"] == org.employee.pk
    assert (result["kind"], result["start_date"], result["end_date"]) == (
        "vacation",
        day(MONDAY),
        day(SUNDAY),
    )
    assert (result["hours"], result["hours_per_week"]) == ("40.00", "-40.00")
    assert (result["violations"], result["blocked"]) == ([], False)
    assert result["balance_before"] == {
        "kind": "vacation",
        "entitled": "80.00",
        "approved": "0.00",
        "requested": "0.00",
        "remaining": "80.00",
    }
    assert result["balance_after"]["approved"] == "40.00"
    assert result["balance_after"]["remaining"] == "40.00"
    assert [(r["week"], r["gap_after"]) for r in result["coverage"]] == [("2027-W09", "40.00")]
    assert not LeaveRequest.objects.exists()


@pytest.mark.parametrize("by", ["fields", "request"])
def test_simulate_writes_nothing(org, as_manager, as_employee, by):
    only_rule("no-gap", "leave_opens_gap", {"max_gap_hours": 0})
    pending = asked(as_employee)
    counts = table_counts()
    if by == "request":
        body = {"request": pending["id"]}
    else:
        body = {
            "employee": org.employee.pk,
            "start_date": day(NEXT_MONDAY),
            "end_date": "2027-03-14",
        }
    result = simulate(as_manager, **body)
    assert result["blocked"] is True
    assert table_counts() == counts
    assert LeaveRequest.objects.get(pk=pending["id"]).state == "requested"


def test_simulate_answers_the_violations_the_approval_would_meet(org, as_employee, as_manager):
    only_rule("no-gap", "leave_opens_gap", {"max_gap_hours": 0})
    body = asked(as_employee)
    result = simulate(as_manager, request=body["id"])
    assert result["blocked"] is True
    (violation,) = result["violations"]
    assert (violation["rule"], violation["kind"], violation["severity"]) == (
        "no-gap",
        "leave_opens_gap",
        "error",
    )
    assert violation["facts"]["opened"] == "40.00"
    refused = problem(
        as_manager.post(f"{LEAVE}{body['id']}/transitions/", {"transition": "approve"}),
        422,
        "rule_violation",
    )
    assert refused["violations"] == result["violations"]


def test_simulate_answers_warnings_without_blocking(org, as_employee, as_manager):
    only_rule("balance", "leave_balance", {}, severity="warning")
    result = simulate(
        as_manager,
        employee=org.employee.pk,
        start_date=day(MONDAY),
        end_date=day(SUNDAY),
        hours="100",
    )
    assert result["blocked"] is False
    assert [v["severity"] for v in result["violations"]] == ["warning"]
    assert result["balance_after"]["remaining"] == "-20.00"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({}, 400),
        ({"start_date": "2027-03-01"}, 400),
        ({"request": 999999}, 400),
        ({"request": "x"}, 400),
        ({"start_date": "2027-03-07", "end_date": "2027-03-01"}, 400),
        ({"start_date": "2027-03-01", "end_date": "2027-03-01", "hours": "30"}, 422),
        ({"start_date": "2027-12-31", "end_date": "2028-01-01"}, 422),
        ({"start_date": "2027-03-01", "end_date": "2027-03-07", "colour": 1}, 400),
    ],
)
def test_bad_simulate_input(org, as_manager, body, status):
    if "request" not in body:
        body = {"employee": org.employee.pk, **body}
    problem(as_manager.post(SIMULATE, body, format="json"), status)


def test_simulate_of_leave_outside_scope_is_like_an_unknown_one(org, as_admin, as_manager):
    theirs = asked(as_admin, employee=org.outsider.pk)
    body = problem(as_manager.post(SIMULATE, {"request": theirs["id"]}, format="json"), 400)
    assert "request" in body["errors"]
    body = problem(
        as_manager.post(
            SIMULATE,
            {"employee": org.outsider.pk, "start_date": day(MONDAY), "end_date": day(SUNDAY)},
            format="json",
        ),
        400,
    )
    assert "employee" in body["errors"]


def test_simulate_by_request_shows_the_balance_as_it_stands_and_once_approved(
    org, as_employee, as_manager
):
    body = asked(as_employee, hours="16")
    result = simulate(as_manager, request=body["id"])
    assert result["balance_before"] == {
        "kind": "vacation",
        "entitled": "80.00",
        "approved": "0.00",
        "requested": "16.00",
        "remaining": "80.00",
    }
    assert result["balance_after"] == {
        "kind": "vacation",
        "entitled": "80.00",
        "approved": "16.00",
        "requested": "0.00",
        "remaining": "64.00",
    }


@pytest.mark.parametrize("path", [["approve"], ["cancel"], ["reject"], ["approve", "cancel"]])
def test_simulate_of_a_request_that_cannot_be_approved_is_409(org, as_manager, path):
    # An approved request's entry is in coverage already: simulating it again counted the
    # leave twice (assigned 40 → 20 "before", 0 "after" for 20 h of leave).
    body = asked(as_manager, employee=org.employee.pk, hours="20")
    for name in path:
        state = ran(as_manager, body["id"], name)["state"]
    counts = table_counts()
    answer = problem(
        as_manager.post(SIMULATE, {"request": body["id"]}, format="json"),
        409,
        "transition_not_allowed",
    )
    assert answer["current_state"] == state
    assert table_counts() == counts


def test_simulate_lists_only_the_positions_the_manager_may_see(
    org, as_employee, as_manager, as_admin
):
    """The employee also works on a position of another unit: the manager deciding the leave
    sees their own unit's rows; the other position is counted, weighed, not listed."""
    from tests.factories.org import make_unit

    elsewhere = make_position(make_unit(), weekly_hours=Decimal("10.00"))
    make_assignment(org.employee, elsewhere, state="active", start=HIRED, hours="10.00")
    pk = asked(as_employee)["id"]
    body = as_manager.post(SIMULATE, {"request": pk}, format="json").json()
    assert {row["position"] for row in body["coverage"]} == {org.position.pk}
    assert body["positions_not_shown"] == 1
    # Both positions lose the week: 40 h of leave take 40 of the 50 assigned hours.
    assert Decimal(body["gap_opened_hours"]) == Decimal("40.00")
    everything = as_admin.post(SIMULATE, {"request": pk}, format="json").json()
    assert {row["position"] for row in everything["coverage"]} == {org.position.pk, elsewhere.pk}
    assert everything["positions_not_shown"] == 0
