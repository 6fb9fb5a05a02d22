"""The required-tags rule at its edges: level = minimum passes, one below fails; validity that
starts late or ends early fails exactly the weeks it does not cover, naming the tag."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.assignments.models import Assignment
from apps.assignments.rules import AssignmentContext as EvaluationContext
from apps.business_rules.engine import evaluate
from apps.fsm.exceptions import RuleViolation
from apps.fsm.services import transition_apply
from apps.tags.rules import RequiredTags
from tests.factories.assignments import MONDAY, make_assignment, only_rule
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag, need_tag

pytestmark = pytest.mark.django_db
END = MONDAY + dt.timedelta(days=27)  # Sunday of W13: four whole weeks W10..W13
WEEKS = ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]


@pytest.fixture
def unit():
    return make_unit()


@pytest.fixture
def employee(unit, admin_user):
    e = make_employee(unit, first_name="Ada", last_name="Lovelace", hire_date=dt.date(2025, 1, 6))
    for name in ("start_onboarding", "activate"):
        e, _ = transition_apply(subject=e, transition=name, actor=admin_user)
    return e


@pytest.fixture
def position(unit):
    return make_position(unit, start_date=dt.date(2025, 1, 6))


@pytest.fixture
def forklift():
    return make_tag("forklift", label="Forklift licence", category="licence")


@pytest.fixture
def rule():
    return only_rule("tags", "required_tags", {})


def proposal(employee, position, start=MONDAY, end=END) -> Assignment:
    return make_assignment(employee, position, start=start, end=end, hours="10.00")


def violations(employee, position, **kw):
    return evaluate(subject=proposal(employee, position, **kw), transition="approve")


def test_level_at_the_minimum_passes(rule, employee, position, forklift):
    need_tag(position, forklift, min_level=3)
    give_tag(employee, forklift, level=3)
    assert violations(employee, position) == []


def test_level_one_below_the_minimum_fails_every_week_and_blocks_approval(
    rule, employee, position, forklift, admin_user
):
    need_tag(position, forklift, min_level=3)
    give_tag(employee, forklift, level=2)
    assignment = proposal(employee, position)
    with pytest.raises(RuleViolation) as info:
        transition_apply(subject=assignment, transition="approve", actor=admin_user)
    assert info.value.status_code == 422
    assert Assignment.objects.get(pk=assignment.pk).state == "proposed"
    [violation] = info.value.violations
    assert violation["rule"] == "tags"
    assert violation["kind"] == "required_tags"
    assert violation["severity"] == "error"
    assert violation["weeks"] == WEEKS
    assert violation["facts"] == {
        "tag": "forklift",
        "min_level": 3,
        "held_level": 2,
        "valid": [],
        "problem": "level_too_low",
    }
    assert violation["message"] == (
        "Ada Lovelace holds Forklift licence (forklift) at level 2; the position requires "
        "level 3 or above (2026-W10 to 2026-W13)."
    )


def test_missing_tag_names_it(rule, employee, position, forklift):
    need_tag(position, forklift, min_level=1)
    [violation] = violations(employee, position)
    assert violation["facts"]["problem"] == "missing"
    assert violation["facts"]["held_level"] is None
    assert "does not hold Forklift licence (forklift)" in violation["message"]
    assert violation["weeks"] == WEEKS


def test_tag_expiring_mid_assignment_fails_the_weeks_from_its_expiry(
    rule, employee, position, forklift
):
    need_tag(position, forklift, min_level=2)
    # Valid until Wednesday of W12: W12 is not covered on Thursday to Sunday, W13 not at all.
    give_tag(employee, forklift, level=4, valid_until=MONDAY + dt.timedelta(days=16))
    [violation] = violations(employee, position)
    assert violation["weeks"] == ["2026-W12", "2026-W13"]
    assert violation["facts"]["problem"] == "not_valid"
    assert violation["facts"]["valid"] == [["2020-01-01", "2026-03-18"]]
    assert violation["message"] == (
        "Ada Lovelace's Forklift licence (forklift, level 2+) is not valid in 2026-W12 to "
        "2026-W13: expires on 2026-03-18."
    )


def test_tag_valid_until_the_last_day_passes_and_one_day_less_fails_the_last_week(
    rule, employee, position, forklift
):
    need_tag(position, forklift)
    row = give_tag(employee, forklift, valid_until=END)
    assert violations(employee, position) == []
    from apps.tags.services import employee_tag_change

    employee_tag_change(employee_tag=row, valid_until=END - dt.timedelta(days=1), actor=None)
    [violation] = violations(employee, position)
    assert violation["weeks"] == ["2026-W13"]


def test_tag_valid_only_from_after_the_start_fails_the_early_weeks(
    rule, employee, position, forklift
):
    need_tag(position, forklift)
    give_tag(employee, forklift, valid_from=MONDAY + dt.timedelta(days=8))  # Tuesday of W11
    [violation] = violations(employee, position)
    assert violation["weeks"] == ["2026-W10", "2026-W11"]
    assert "valid only from 2026-03-10" in violation["message"]
    assert "forklift" in violation["message"]


def test_only_the_days_the_assignment_covers_count(rule, employee, position, forklift):
    need_tag(position, forklift)
    thursday = MONDAY + dt.timedelta(days=3)
    give_tag(employee, forklift, valid_from=thursday)
    assert violations(employee, position, start=thursday) == []


def test_renewal_that_touches_covers_and_a_gap_between_renewals_fails(
    rule, employee, position, forklift
):
    need_tag(position, forklift)
    give_tag(employee, forklift, valid_until=MONDAY + dt.timedelta(days=13))  # Sunday of W11
    renewal = give_tag(employee, forklift, valid_from=MONDAY + dt.timedelta(days=14))
    assert violations(employee, position) == []
    from apps.tags.services import employee_tag_change

    employee_tag_change(
        employee_tag=renewal, valid_from=MONDAY + dt.timedelta(days=22), actor=None
    )  # from Tuesday of W13
    [violation] = violations(employee, position)
    assert violation["weeks"] == ["2026-W12", "2026-W13"]
    assert "lapses between renewals" in violation["message"]


def test_open_ended_assignment_fails_the_weeks_after_expiry(rule, employee, position, forklift):
    need_tag(position, forklift)
    # Valid through Sunday of W20; open-ended assignments are checked over 52 weeks.
    give_tag(employee, forklift, valid_until=MONDAY + dt.timedelta(weeks=10, days=6))
    [violation] = violations(employee, position, end=None)
    assert violation["weeks"][0] == "2026-W21"
    assert violation["weeks"][-1] == "2027-W09"  # 52 weeks after W10
    assert "2026-W20" not in violation["weeks"]


def test_preferred_tags_do_not_block(rule, employee, position, forklift):
    need_tag(position, forklift, requirement="preferred", min_level=5)
    assert violations(employee, position) == []


def test_one_violation_per_failing_tag(rule, employee, position, forklift):
    first_aid = make_tag("first-aid", label="First aid")
    need_tag(position, forklift, min_level=2)
    need_tag(position, first_aid, min_level=1)
    give_tag(employee, forklift, level=2)
    [violation] = violations(employee, position)
    assert violation["facts"]["tag"] == "first-aid"
    give_tag(employee, first_aid, level=1)
    assert violations(employee, position) == []


def test_rule_loads_its_facts_in_two_queries(
    rule, employee, position, forklift, django_assert_num_queries
):
    for i in range(5):
        tag = make_tag(f"skill-{i}")
        need_tag(position, tag, min_level=2)
        give_tag(employee, tag, level=1 + i % 3)
    assignment = proposal(employee, position)
    context = EvaluationContext(assignment)
    with django_assert_num_queries(2):
        found = RequiredTags(rule).evaluate(context)
    assert [v["facts"]["tag"] for v in found] == ["skill-0", "skill-3"]
    assert all(v["facts"]["held_level"] == 1 for v in found)


def test_weekly_hours_do_not_matter_to_the_tag_rule(rule, employee, position, forklift):
    need_tag(position, forklift)
    give_tag(employee, forklift)
    assignment = make_assignment(employee, position, start=MONDAY, end=END, hours="40.00")
    assert assignment.weekly_hours == Decimal("40.00")
    assert evaluate(subject=assignment, transition="approve") == []
