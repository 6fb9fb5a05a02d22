"""The rules guarding a leave request's approval (DESIGN §11): `leave_balance` (not over the
entitlement) and `leave_opens_gap` (no gap opened on the employee's positions); errors block with
422 unless an HR admin overrides with a reason, warnings pass, both are logged; rules of the
assignment kinds do not read leave."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.business_rules.models import BusinessRule
from apps.leave.models import LeaveRequest, LeaveTransitionLog
from apps.offer.models import LedgerEntry
from tests.factories.assignments import make_assignment, only_rule
from tests.factories.org import make_employee, make_unit
from tests.leave.conftest import (
    HIRED,
    MONDAY,
    NEXT_MONDAY,
    SUNDAY,
    asked,
    problem,
    ran,
    run,
)

pytestmark = pytest.mark.django_db

NEXT_SUNDAY = NEXT_MONDAY + dt.timedelta(days=6)


@pytest.fixture
def over_balance(org, as_employee, as_manager) -> dict:
    """40 of the employee's 80 vacation hours approved; a request for 48 more waits."""
    ran(as_manager, asked(as_employee)["id"], "approve")
    return asked(as_employee, NEXT_MONDAY, NEXT_SUNDAY, hours="48")


def approve_log(pk: int) -> LeaveTransitionLog:
    return LeaveTransitionLog.objects.get(subject_id=pk, transition="approve")


# --- leave_balance -----------------------------------------------------------------------------


@pytest.mark.parametrize("params", [{}, {"kinds": ["vacation"]}])
def test_approval_over_the_entitlement_is_422_with_the_facts(org, over_balance, as_manager, params):
    only_rule("balance", "leave_balance", params)
    body = problem(run(as_manager, over_balance["id"], "approve"), 422, "rule_violation")
    (violation,) = body["violations"]
    assert violation["rule"] == "balance"
    assert violation["kind"] == "leave_balance"
    assert violation["severity"] == "error"
    assert violation["weeks"] == ["2027-W10"]
    assert violation["facts"] == {
        "entitled": "80.00",
        "approved": "40.00",
        "hours": "48.00",
        "remaining": "40.00",
    }
    assert "88.00" in violation["message"]
    assert LeaveRequest.objects.get(pk=over_balance["id"]).state == "requested"
    assert LedgerEntry.objects.count() == 1
    assert not LeaveTransitionLog.objects.filter(
        subject_id=over_balance["id"], transition="approve"
    ).exists()


def test_approval_within_the_entitlement_passes(org, as_employee, as_manager):
    only_rule("balance", "leave_balance", {})
    first = asked(as_employee)
    second = asked(as_employee, NEXT_MONDAY, NEXT_SUNDAY)
    ran(as_manager, first["id"], "approve")
    # 40 + 40 = the 80 entitled: still within.
    assert ran(as_manager, second["id"], "approve")["state"] == "approved"
    assert approve_log(second["id"]).metadata == {}


def test_requested_leave_does_not_count_against_the_balance(org, as_employee, as_manager):
    only_rule("balance", "leave_balance", {})
    asked(as_employee, hours="60")  # requested, never approved
    later = asked(as_employee, NEXT_MONDAY, NEXT_SUNDAY, hours="60")
    assert ran(as_manager, later["id"], "approve")["state"] == "approved"


def test_balance_rule_reads_only_its_kinds(org, as_employee, as_manager):
    only_rule("balance", "leave_balance", {"kinds": ["vacation"]})
    sick = asked(as_employee, kind="sick")  # no sick entitlement at all
    assert ran(as_manager, sick["id"], "approve")["state"] == "approved"
    only_rule("sick-balance", "leave_balance", {"kinds": ["sick", "unpaid"]})
    more = asked(as_employee, NEXT_MONDAY, NEXT_SUNDAY, kind="sick")
    body = problem(run(as_manager, more["id"], "approve"), 422, "rule_violation")
    assert body["violations"][0]["facts"]["entitled"] == "0.00"


def test_admin_overrides_with_a_reason_and_the_override_is_logged(
    org, over_balance, as_admin, admin_user
):
    only_rule("balance", "leave_balance", {})
    approved = ran(as_admin, over_balance["id"], "approve", override=True, reason="Agreed")
    assert approved["state"] == "approved"
    assert approved["ledger_entry"] is not None
    log = approve_log(over_balance["id"])
    assert (log.actor, log.reason) == (admin_user, "Agreed")
    assert log.metadata["override"] is True
    assert [v["rule"] for v in log.metadata["overridden"]] == ["balance"]


def test_override_needs_a_reason_and_an_hr_admin(org, over_balance, as_admin, as_manager):
    only_rule("balance", "leave_balance", {})
    body = problem(run(as_admin, over_balance["id"], "approve", override=True), 400)
    assert "reason" in body["errors"]
    problem(
        run(as_manager, over_balance["id"], "approve", override=True, reason="Please"),
        403,
        "override_not_allowed",
    )
    assert LeaveRequest.objects.get(pk=over_balance["id"]).state == "requested"


def test_a_warning_passes_and_is_logged(org, over_balance, as_manager):
    only_rule("balance", "leave_balance", {}, severity="warning")
    assert ran(as_manager, over_balance["id"], "approve")["state"] == "approved"
    metadata = approve_log(over_balance["id"]).metadata
    assert "override" not in metadata
    (warning,) = metadata["warnings"]
    assert (warning["kind"], warning["severity"]) == ("leave_balance", "warning")
    assert warning["facts"]["hours"] == "48.00"


def test_a_rule_scoped_to_another_unit_does_not_apply(org, over_balance, as_manager):
    only_rule("balance", "leave_balance", {}, scope=org.outside_unit)
    assert ran(as_manager, over_balance["id"], "approve")["state"] == "approved"


def test_a_rule_that_does_not_guard_approve_does_not_apply(org, over_balance, as_manager):
    only_rule("balance", "leave_balance", {}, transitions=("propose",))
    assert ran(as_manager, over_balance["id"], "approve")["state"] == "approved"


# --- leave_opens_gap ---------------------------------------------------------------------------


def test_leave_opening_a_gap_is_422(org, as_employee, as_manager):
    only_rule("no-gap", "leave_opens_gap", {"max_gap_hours": 0})
    body = asked(as_employee)
    answer = problem(run(as_manager, body["id"], "approve"), 422, "rule_violation")
    (violation,) = answer["violations"]
    assert violation["kind"] == "leave_opens_gap"
    assert violation["weeks"] == ["2027-W09"]
    assert violation["facts"] == {
        "max_gap_hours": "0.00",
        "opened": "40.00",
        "position": org.position.pk,
        "positions": [org.position.pk],
    }
    assert LeaveRequest.objects.get(pk=body["id"]).state == "requested"
    assert not LedgerEntry.objects.exists()


def test_leave_passes_when_another_employee_covers_the_position(org, as_employee, as_manager):
    only_rule("no-gap", "leave_opens_gap", {"max_gap_hours": 0})
    colleague = make_employee(org.unit)
    make_assignment(colleague, org.position, state="active", start=HIRED, hours="40.00")
    body = asked(as_employee)
    assert ran(as_manager, body["id"], "approve")["state"] == "approved"


def test_leave_passes_within_max_gap_hours(org, as_employee, as_manager):
    only_rule("small-gap", "leave_opens_gap", {"max_gap_hours": "40"})
    assert ran(as_manager, asked(as_employee)["id"], "approve")["state"] == "approved"


def test_leave_of_an_unassigned_employee_opens_no_gap(org, as_admin):
    only_rule("no-gap", "leave_opens_gap", {"max_gap_hours": 0})
    body = asked(as_admin, employee=org.outsider.pk)
    assert ran(as_admin, body["id"], "approve")["state"] == "approved"


def test_leave_on_a_week_the_assignment_does_not_cover_opens_no_gap(org, as_admin):
    only_rule("no-gap", "leave_opens_gap", {"max_gap_hours": 0})
    unit = make_unit()
    employee = make_employee(unit)
    make_assignment(employee, org.position, state="active", start=NEXT_MONDAY, hours="40.00")
    body = asked(as_admin, MONDAY, SUNDAY, employee=employee.pk)
    assert ran(as_admin, body["id"], "approve")["state"] == "approved"


def test_both_rules_answer_together(org, over_balance, as_manager):
    only_rule("no-gap", "leave_opens_gap", {"max_gap_hours": 0})
    only_rule("balance", "leave_balance", {})
    # only_rule disables the others: enable the gap rule again.
    BusinessRule.objects.filter(code="no-gap").update(enabled=True)
    body = problem(run(as_manager, over_balance["id"], "approve"), 422, "rule_violation")
    assert sorted(v["kind"] for v in body["violations"]) == ["leave_balance", "leave_opens_gap"]


# --- rules of other subjects, and the rules API ------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("max_weekly_hours", {"max_hours": "1.00"}),
        ("max_concurrent_assignments", {"max": 0}),
        ("allowed_employee_states", {"states": ["active"]}),
    ],
)
def test_assignment_rules_do_not_apply_to_leave(org, as_employee, as_manager, kind, params):
    only_rule("assignment-rule", kind, params)
    body = asked(as_employee)
    assert ran(as_manager, body["id"], "approve")["state"] == "approved"
    assert approve_log(body["id"]).metadata == {}


def test_the_leave_kinds_are_offered_and_their_params_checked(org, as_admin):
    kinds = as_admin.get("/api/v1/business-rules/kinds/")
    assert kinds.status_code == 200, kinds.content
    names = {k["name"] for k in kinds.json()}
    assert {"leave_balance", "leave_opens_gap"} <= names
    rule = {"code": "lb", "name": "Balance", "kind": "leave_balance", "severity": "error"}
    created = as_admin.post(
        "/api/v1/business-rules/", {**rule, "params": {"kinds": ["sick"]}}, format="json"
    )
    assert created.status_code == 201, created.content
    for params in ({"kinds": ["nap"]}, {"kinds": []}, {"max_gap_hours": "-1"}):
        kind = "leave_opens_gap" if "max_gap_hours" in params else "leave_balance"
        response = as_admin.post(
            "/api/v1/business-rules/",
            {**rule, "code": "bad", "kind": kind, "params": params},
            format="json",
        )
        problem(response, 400)
