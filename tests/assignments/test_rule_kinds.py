"""Each rule kind passing and failing, with the exact facts; scope; override; warnings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.business_rules.engine import evaluate
from apps.fsm.exceptions import RuleViolation
from apps.fsm.services import transition_apply
from tests.factories.assignments import MONDAY, make_assignment, only_rule
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db
END = MONDAY + dt.timedelta(days=27)  # four whole weeks: W10..W13
WEEKS = ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]


@pytest.fixture
def unit():
    return make_unit()


@pytest.fixture
def employee(unit, admin_user):
    e = make_employee(unit, contract_hours=Decimal("40.00"), hire_date=dt.date(2025, 1, 6))
    for name in ("start_onboarding", "activate"):
        e, _ = transition_apply(subject=e, transition=name, actor=admin_user)
    return e


@pytest.fixture
def position(unit):
    return make_position(unit, weekly_hours=Decimal("40.00"), start_date=dt.date(2025, 1, 6))


def proposal(employee, position, hours: str) -> Assignment:
    return make_assignment(employee, position, start=MONDAY, end=END, hours=hours)


def approve_errors(assignment, actor) -> list[dict]:
    with pytest.raises(RuleViolation) as info:
        transition_apply(subject=assignment, transition="approve", actor=actor)
    assert info.value.status_code == 422
    assert Assignment.objects.get(pk=assignment.pk).state == "proposed"
    return info.value.violations


def test_max_weekly_hours(employee, position, admin_user):
    only_rule("max-30", "max_weekly_hours", {"max_hours": "30.00"})
    make_assignment(employee, position, state="approved", start=MONDAY, end=END, hours="20.00")
    ok = proposal(employee, position, "10.00")
    assert evaluate(subject=ok, transition="approve") == []
    too_much = proposal(employee, position, "20.00")
    [violation] = approve_errors(too_much, admin_user)
    assert violation["rule"] == "max-30"
    assert violation["kind"] == "max_weekly_hours"
    assert violation["severity"] == "error"
    assert violation["weeks"] == WEEKS
    assert violation["facts"] == {"limit": "30.00", "actual": "40.00"}
    assert "over the limit of 30.00 h" in violation["message"]


def test_no_overcommit(employee, position, admin_user):
    only_rule("no-over", "no_overcommit", {})
    make_assignment(employee, position, state="active", start=MONDAY, end=END, hours="30.00")
    assert evaluate(subject=proposal(employee, position, "10.00"), transition="approve") == []
    [violation] = approve_errors(proposal(employee, position, "20.00"), admin_user)
    assert violation["facts"] == {"limit": "40.00", "actual": "50.00"}
    assert violation["weeks"] == WEEKS


def test_no_overcommit_counts_supply_pro_rata_when_employment_ends_mid_week(
    unit, position, admin_user
):
    only_rule("no-over", "no_overcommit", {})
    # Employed until Wednesday of W10: 3 days of 40 h = 17.14 h supply that week.
    e = make_employee(
        unit,
        contract_hours=Decimal("40.00"),
        hire_date=dt.date(2025, 1, 6),
        termination_date=MONDAY + dt.timedelta(days=2),
    )
    violations = evaluate(
        subject=make_assignment(
            e, position, start=MONDAY, end=MONDAY + dt.timedelta(days=6), hours="20.00"
        ),
        transition="approve",
    )
    assert violations[0]["facts"] == {"limit": "17.14", "actual": "20.00"}
    assert violations[0]["weeks"] == ["2026-W10"]


def test_allowed_employee_states(unit, position, admin_user):
    only_rule("working", "allowed_employee_states", {"states": ["active"]})
    onboarding = make_employee(unit)
    onboarding, _ = transition_apply(
        subject=onboarding, transition="start_onboarding", actor=admin_user
    )
    [violation] = approve_errors(proposal(onboarding, position, "10.00"), admin_user)
    assert violation["facts"] == {"allowed": ["active"], "actual": "onboarding"}


def test_position_capacity(employee, position, unit, admin_user):
    only_rule("cap", "position_capacity", {"tolerance": "0.10"})
    other = make_employee(unit)
    make_assignment(other, position, state="approved", start=MONDAY, end=END, hours="30.00")
    assert evaluate(subject=proposal(employee, position, "14.00"), transition="approve") == []
    [violation] = approve_errors(proposal(employee, position, "20.00"), admin_user)
    assert violation["facts"] == {"limit": "44.00", "actual": "50.00"}


def test_max_concurrent_assignments(employee, position, unit, admin_user):
    only_rule("two", "max_concurrent_assignments", {"max": 2})
    second = make_position(unit)
    make_assignment(employee, position, state="approved", start=MONDAY, end=END, hours="5.00")
    assert evaluate(subject=proposal(employee, second, "5.00"), transition="approve") == []
    make_assignment(employee, second, state="active", start=MONDAY, end=END, hours="5.00")
    [violation] = approve_errors(proposal(employee, position, "5.00"), admin_user)
    assert violation["facts"] == {"limit": 2, "actual": 3}


def test_required_tags_is_a_no_op_without_tags(employee, position):
    only_rule("tags", "required_tags", {})
    assert evaluate(subject=proposal(employee, position, "10.00"), transition="approve") == []


def test_rules_only_guard_their_transitions(employee, position, admin_user):
    only_rule("max-1", "max_weekly_hours", {"max_hours": "1.00"}, transitions=["activate"])
    assignment = proposal(employee, position, "10.00")
    assignment, _ = transition_apply(subject=assignment, transition="approve", actor=admin_user)
    assert assignment.state == "approved"
    with pytest.raises(RuleViolation):
        transition_apply(subject=assignment, transition="activate", actor=admin_user)


def test_scope_applies_to_positions_in_the_subtree_only(employee, admin_user):
    root = make_unit()
    child = make_unit(parent=root)
    elsewhere = make_unit()
    only_rule("scoped", "max_weekly_hours", {"max_hours": "1.00"}, scope=root)
    inside = make_position(child)
    outside = make_position(elsewhere)
    assert evaluate(subject=proposal(employee, inside, "5.00"), transition="approve")
    assert evaluate(subject=proposal(employee, outside, "5.00"), transition="approve") == []


def test_admin_override_is_logged_with_the_violations(employee, position, admin_user, manager_user):
    only_rule("max-1", "max_weekly_hours", {"max_hours": "1.00"})
    assignment = proposal(employee, position, "10.00")
    from rest_framework.exceptions import PermissionDenied, ValidationError

    manager_user.scope.add(position.org_unit)
    with pytest.raises(PermissionDenied):
        transition_apply(
            subject=assignment,
            transition="approve",
            actor=manager_user,
            override=True,
            reason="urgent",
        )
    with pytest.raises(ValidationError):
        transition_apply(
            subject=assignment, transition="approve", actor=admin_user, override=True, reason=" "
        )
    updated, log = transition_apply(
        subject=assignment,
        transition="approve",
        actor=admin_user,
        override=True,
        reason="urgent cover",
    )
    assert updated.state == "approved"
    assert log.metadata["override"] is True
    assert log.metadata["overridden"][0]["rule"] == "max-1"
    assert log.metadata["overridden"][0]["facts"] == {"limit": "1.00", "actual": "10.00"}
    assert log.reason == "urgent cover"


def test_warnings_pass_and_are_logged(employee, position, admin_user):
    only_rule("soft", "max_weekly_hours", {"max_hours": "1.00"}, severity="warning")
    updated, log = transition_apply(
        subject=proposal(employee, position, "10.00"), transition="approve", actor=admin_user
    )
    assert updated.state == "approved"
    assert log.metadata["warnings"][0]["rule"] == "soft"
    assert "override" not in log.metadata


def test_evaluation_query_count_does_not_grow(employee, position, unit):
    from apps.business_rules.models import BusinessRule

    only_rule("a", "max_weekly_hours", {"max_hours": "60.00"})
    for code, kind, params in [
        ("b", "no_overcommit", {}),
        ("c", "position_capacity", {"tolerance": "0.5"}),
        ("d", "max_concurrent_assignments", {"max": 50}),
        ("e", "allowed_employee_states", {"states": ["active"]}),
    ]:
        BusinessRule.objects.create(
            code=code, name=code, kind=kind, params=params, transitions=["approve"]
        )

    def count(assignment) -> int:
        assignment = Assignment.objects.select_related("employee", "position__org_unit").get(
            pk=assignment.pk
        )
        with CaptureQueriesContext(connection) as ctx:
            evaluate(subject=assignment, transition="approve")
        return len(ctx.captured_queries)

    short = count(make_assignment(employee, position, start=MONDAY, end=END, hours="1.00"))
    for _ in range(15):
        make_assignment(
            employee,
            position,
            state="approved",
            start=MONDAY,
            end=MONDAY + dt.timedelta(weeks=60),
            hours="1.00",
        )
    long = count(
        make_assignment(
            employee, position, start=MONDAY, end=MONDAY + dt.timedelta(weeks=52), hours="1.00"
        )
    )
    assert short == long
    # the rule context's reads, plus the coverage data version (apps.core.versions)
    assert long <= 4


def test_log_rows_of_assignments_are_append_only(employee, position, admin_user):
    from django.db import DatabaseError, transaction

    assignment = make_assignment(employee, position, state="approved", actor=admin_user)
    log = AssignmentTransitionLog.objects.filter(subject=assignment).first()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AssignmentTransitionLog.objects.filter(pk=log.pk).update(reason="x")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AssignmentTransitionLog.objects.filter(pk=log.pk).delete()
