"""assignments/ through the API: propose, edit while proposed, transitions, history, the current
violations and the dry run — status, body, and the rows written (or not)."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.business_rules.engine import evaluate
from apps.business_rules.models import BusinessRule
from apps.fsm.verify import verify_log
from tests.assignments.conftest import World, active_employee, problem, row_counts
from tests.factories.assignments import MONDAY, make_assignment, only_rule
from tests.factories.org import make_position, make_unit

pytestmark = pytest.mark.django_db

URL = "/api/v1/assignments/"
END = MONDAY + dt.timedelta(days=27)  # W10..W13, four whole weeks
WEEKS = ["2026-W10", "2026-W11", "2026-W12", "2026-W13"]
VIOLATION_KEYS = {"rule", "kind", "severity", "message", "weeks", "facts"}


@pytest.fixture(autouse=True)
def _no_default_rules(db) -> None:
    """Each test states the rules it needs (the defaults are tested in business_rules)."""
    BusinessRule.objects.update(enabled=False)


def detail(pk: int) -> str:
    return f"{URL}{pk}/"


def payload(world: World, **kw: Any) -> dict[str, Any]:
    body = {
        "employee": world.emp_in.pk,
        "position": world.pos_in.pk,
        "start_date": MONDAY.isoformat(),
        "end_date": END.isoformat(),
        "weekly_hours": "20.00",
    }
    body.update(kw)
    return body


def transition(client, assignment: Assignment, name: str, **kw: Any):
    return client.post(
        f"{detail(assignment.pk)}transitions/", {"transition": name, **kw}, format="json"
    )


def logs(assignment: Assignment) -> list[AssignmentTransitionLog]:
    return list(AssignmentTransitionLog.objects.filter(subject=assignment).order_by("id"))


def names(transitions: list[dict[str, str]]) -> set[str]:
    return {t["name"] for t in transitions}


# --- create = propose ------------------------------------------------------------------------


def test_create_proposes_and_writes_the_propose_log_row(as_admin, admin_user, world):
    response = as_admin.post(URL, payload(world, reason="new ward"), format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "proposed"
    assert body["employee"] == world.emp_in.pk
    assert body["position"] == world.pos_in.pk
    assert (body["start_date"], body["end_date"]) == (MONDAY.isoformat(), END.isoformat())
    assert body["weekly_hours"] == "20.00"
    assert body["position_code"] == "POS-IN"
    assert names(body["available_transitions"]) == {"approve", "cancel", "reject"}
    assert response["ETag"]
    assignment = Assignment.objects.get(pk=body["id"])
    assert assignment.state == "proposed"
    assert assignment.created_by == admin_user
    [log] = logs(assignment)
    assert (log.transition, log.from_state, log.to_state) == ("propose", "", "proposed")
    assert (log.actor, log.reason, log.metadata) == (admin_user, "new ward", {})
    assert verify_log(AssignmentTransitionLog)["ok"] is True


def test_create_blocked_by_a_rule_guarding_propose_writes_nothing(as_admin, world):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"}, transitions=("propose",))
    before = row_counts()

    response = as_admin.post(URL, payload(world), format="json")

    body = problem(response, 422, "rule_violation")
    [violation] = body["violations"]
    assert violation["rule"] == "cap-10"
    assert violation["kind"] == "max_weekly_hours"
    assert violation["severity"] == "error"
    assert violation["weeks"] == WEEKS
    assert violation["facts"] == {"limit": "10.00", "actual": "20.00"}
    assert row_counts() == before
    assert not Assignment.objects.exists()
    assert not AssignmentTransitionLog.objects.exists()


def test_create_with_admin_override_and_reason_is_logged(as_admin, admin_user, world):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"}, transitions=("propose",))

    response = as_admin.post(
        URL, payload(world, override=True, reason="night cover"), format="json"
    )

    assert response.status_code == 201, response.content
    [log] = logs(Assignment.objects.get(pk=response.json()["id"]))
    assert log.transition == "propose"
    assert log.actor == admin_user
    assert log.reason == "night cover"
    assert log.metadata["override"] is True
    [overridden] = log.metadata["overridden"]
    assert overridden["rule"] == "cap-10"
    assert overridden["facts"] == {"limit": "10.00", "actual": "20.00"}


def test_create_override_without_reason_is_400_and_writes_nothing(as_admin, world):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"}, transitions=("propose",))
    before = row_counts()

    response = as_admin.post(URL, payload(world, override=True), format="json")

    body = problem(response, 400)
    assert "reason" in body["errors"]
    assert row_counts() == before


def test_create_override_by_manager_is_403_and_writes_nothing(as_manager, world):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"}, transitions=("propose",))
    before = row_counts()

    response = as_manager.post(URL, payload(world, override=True, reason="please"), format="json")

    problem(response, 403, "override_not_allowed")
    assert row_counts() == before


def test_create_with_a_warning_passes_and_logs_the_warning(as_manager, manager_user, world):
    only_rule(
        "soft-10",
        "max_weekly_hours",
        {"max_hours": "10.00"},
        severity="warning",
        transitions=("propose",),
    )

    response = as_manager.post(URL, payload(world), format="json")

    assert response.status_code == 201, response.content
    [log] = logs(Assignment.objects.get(pk=response.json()["id"]))
    assert log.actor == manager_user
    [warning] = log.metadata["warnings"]
    assert (warning["rule"], warning["severity"]) == ("soft-10", "warning")
    assert "override" not in log.metadata


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": "2026-03-01"}, "end_date"),  # before the start
        ({"weekly_hours": "0"}, "weekly_hours"),
        ({"weekly_hours": "168.01"}, "weekly_hours"),
        ({"weekly_hours": "NaN"}, "weekly_hours"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"employee": 999999}, "employee"),
        ({"state": "active", "colour": "red"}, "colour"),
    ],
)
def test_create_with_invalid_input_is_400_and_writes_nothing(as_admin, world, change, field):
    before = row_counts()

    response = as_admin.post(URL, payload(world, **change), format="json")

    body = problem(response, 400)
    assert field in body["errors"], body
    assert row_counts() == before


def test_create_for_a_terminated_employee_is_409(as_admin, admin_user, world):
    from apps.fsm.services import transition_apply

    transition_apply(subject=world.emp_in, transition="terminate", actor=admin_user)
    before = row_counts()

    response = as_admin.post(URL, payload(world), format="json")

    problem(response, 409, "employee_terminated")
    assert row_counts() == before


# --- PATCH while proposed ----------------------------------------------------------------------


@pytest.fixture
def proposed(world, admin_user) -> Assignment:
    return make_assignment(world.emp_in, world.pos_in, start=MONDAY, end=END, actor=admin_user)


def test_patch_while_proposed_changes_the_assignment_and_logs_the_edit(
    as_manager, manager_user, proposed
):
    etag = as_manager.get(detail(proposed.pk))["ETag"]

    response = as_manager.patch(
        detail(proposed.pk),
        {"weekly_hours": "25.50", "end_date": None},
        format="json",
        HTTP_IF_MATCH=etag,
    )

    assert response.status_code == 200, response.content
    assert response.json()["weekly_hours"] == "25.50"
    assert response.json()["end_date"] is None
    assert response["ETag"] != etag
    stored = Assignment.objects.get(pk=proposed.pk)
    assert (stored.weekly_hours, stored.end_date) == (Decimal("25.50"), None)
    [log] = logs(proposed)
    assert (log.transition, log.from_state, log.to_state) == ("update", "proposed", "proposed")
    assert log.actor == manager_user
    assert log.metadata == {"changed": ["end_date", "weekly_hours"]}
    assert verify_log(AssignmentTransitionLog)["ok"] is True


def test_patch_with_admin_override_logs_the_overridden_errors(as_admin, admin_user, proposed):
    only_rule("cap-30", "max_weekly_hours", {"max_hours": "30.00"}, transitions=("propose",))

    response = as_admin.patch(
        detail(proposed.pk),
        {"weekly_hours": "35.00", "override": True, "reason": "double shift agreed"},
        format="json",
    )

    assert response.status_code == 200, response.content
    [log] = logs(proposed)
    assert (log.transition, log.actor, log.reason) == ("update", admin_user, "double shift agreed")
    assert log.metadata["changed"] == ["weekly_hours"]
    assert log.metadata["override"] is True
    assert log.metadata["overridden"][0]["facts"] == {"limit": "30.00", "actual": "35.00"}


def test_patch_with_manager_override_is_403_and_writes_nothing(as_manager, proposed):
    only_rule("cap-30", "max_weekly_hours", {"max_hours": "30.00"}, transitions=("propose",))
    before = row_counts()

    response = as_manager.patch(
        detail(proposed.pk),
        {"weekly_hours": "35.00", "override": True, "reason": "please"},
        format="json",
    )

    problem(response, 403, "override_not_allowed")
    assert row_counts() == before
    assert Assignment.objects.get(pk=proposed.pk).weekly_hours == Decimal("20.00")


def test_patch_when_approved_is_409_not_editable(as_admin, proposed, admin_user):
    from apps.fsm.services import transition_apply

    transition_apply(subject=proposed, transition="approve", actor=admin_user)
    before = list(Assignment.objects.values())

    response = as_admin.patch(detail(proposed.pk), {"weekly_hours": "25.00"}, format="json")

    body = problem(response, 409, "not_editable")
    assert body["current_state"] == "approved"
    assert list(Assignment.objects.values()) == before


def test_patch_with_a_stale_if_match_is_412(as_admin, proposed):
    stale = as_admin.get(detail(proposed.pk))["ETag"]
    assert (
        as_admin.patch(detail(proposed.pk), {"weekly_hours": "21.00"}, format="json").status_code
        == 200
    )
    before = list(Assignment.objects.values())

    response = as_admin.patch(
        detail(proposed.pk), {"weekly_hours": "30.00"}, format="json", HTTP_IF_MATCH=stale
    )

    problem(response, 412, "precondition_failed")
    assert list(Assignment.objects.values()) == before
    assert Assignment.objects.get(pk=proposed.pk).weekly_hours == Decimal("21.00")


def test_patch_with_an_unknown_field_is_400(as_admin, proposed):
    before = list(Assignment.objects.values())

    response = as_admin.patch(detail(proposed.pk), {"weekly_hour": "30.00"}, format="json")

    body = problem(response, 400)
    assert body["errors"] == {"weekly_hour": ["Unknown field."]}
    assert list(Assignment.objects.values()) == before


def test_patch_ignores_state_in_the_body(as_admin, proposed):
    alone = as_admin.patch(detail(proposed.pk), {"state": "active"}, format="json")

    assert alone.status_code == 200, alone.content
    assert alone.json()["state"] == "proposed"
    assert not logs(proposed)  # nothing changed, nothing logged

    response = as_admin.patch(
        detail(proposed.pk), {"state": "active", "weekly_hours": "22.00"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "proposed"
    assignment = Assignment.objects.get(pk=proposed.pk)
    assert (assignment.state, assignment.weekly_hours) == ("proposed", Decimal("22.00"))
    assert [(log.transition, log.to_state) for log in logs(proposed)] == [("update", "proposed")]


def test_patch_end_before_start_is_400(as_admin, proposed):
    response = as_admin.patch(detail(proposed.pk), {"end_date": "2026-02-01"}, format="json")

    body = problem(response, 400)
    assert "end_date" in body["errors"]
    assert Assignment.objects.get(pk=proposed.pk).end_date == END


def test_patch_is_rechecked_against_the_propose_rules(as_admin, proposed):
    only_rule("cap-30", "max_weekly_hours", {"max_hours": "30.00"}, transitions=("propose",))

    response = as_admin.patch(detail(proposed.pk), {"weekly_hours": "35.00"}, format="json")

    body = problem(response, 422, "rule_violation")
    assert body["violations"][0]["facts"] == {"limit": "30.00", "actual": "35.00"}
    assert Assignment.objects.get(pk=proposed.pk).weekly_hours == Decimal("20.00")


# --- transitions -------------------------------------------------------------------------------


def test_approve_through_the_api(as_manager, manager_user, proposed):
    response = transition(as_manager, proposed, "approve", reason="fits")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["id"] == proposed.pk
    assert body["state"] == "approved"
    assert names(body["available_transitions"]) == {"cancel"}
    assert response["ETag"]
    assert Assignment.objects.get(pk=proposed.pk).state == "approved"
    log = logs(proposed)[-1]
    assert (log.transition, log.from_state, log.to_state) == ("approve", "proposed", "approved")
    assert (log.actor, log.reason) == (manager_user, "fits")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("admin", {"approve", "cancel", "reject"}),
        ("manager", {"approve", "cancel"}),
        ("auditor", set()),
    ],
)
def test_available_transitions_per_role(role, expected, request, proposed):
    client = request.getfixturevalue(f"as_{role}")

    body = client.get(detail(proposed.pk)).json()

    assert names(body["available_transitions"]) == expected
    assert all(set(t) == {"name", "target"} for t in body["available_transitions"])


def test_available_transitions_of_an_approved_assignment(
    as_admin, as_manager, admin_user, proposed
):
    from apps.fsm.services import transition_apply

    transition_apply(subject=proposed, transition="approve", actor=admin_user)

    admin_view = as_admin.get(detail(proposed.pk)).json()["available_transitions"]
    manager_view = as_manager.get(detail(proposed.pk)).json()["available_transitions"]

    assert sorted(admin_view, key=lambda t: t["name"]) == [
        {"name": "activate", "target": "active"},
        {"name": "cancel", "target": "cancelled"},
    ]
    assert manager_view == [{"name": "cancel", "target": "cancelled"}]


def test_an_employee_sees_no_transitions_on_their_own_assignment(as_employee, world, admin_user):
    own = make_assignment(world.emp_own, world.pos_out, actor=admin_user)

    body = as_employee.get(detail(own.pk)).json()

    assert body["state"] == "proposed"
    assert body["available_transitions"] == []


def test_rule_violation_on_approve_is_a_422_problem_with_violations(as_admin, proposed):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"})
    before = row_counts()

    response = transition(as_admin, proposed, "approve")

    body = problem(response, 422, "rule_violation")
    [violation] = body["violations"]
    assert set(violation) == VIOLATION_KEYS
    assert violation == {
        "rule": "cap-10",
        "kind": "max_weekly_hours",
        "severity": "error",
        "message": violation["message"],
        "weeks": WEEKS,
        "facts": {"limit": "10.00", "actual": "20.00"},
    }
    assert "over the limit of 10.00 h" in violation["message"]
    assert row_counts() == before
    assert Assignment.objects.get(pk=proposed.pk).state == "proposed"


def test_admin_override_with_reason_passes_and_is_in_the_history(as_admin, admin_user, proposed):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"})
    blocked = transition(as_admin, proposed, "approve").json()["violations"]

    response = transition(as_admin, proposed, "approve", override=True, reason="approved by HR")

    assert response.status_code == 200, response.content
    assert response.json()["state"] == "approved"
    row = as_admin.get(f"{detail(proposed.pk)}history/").json()["results"][0]
    assert row["transition"] == "approve"
    assert row["actor"] == admin_user.pk
    assert row["reason"] == "approved by HR"
    assert row["metadata"]["override"] is True
    assert row["metadata"]["overridden"] == blocked


def test_admin_override_without_reason_is_400(as_admin, proposed):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"})
    before = row_counts()

    response = transition(as_admin, proposed, "approve", override=True, reason="  ")

    body = problem(response, 400)
    assert "reason" in body["errors"]
    assert row_counts() == before


def test_manager_override_is_403_and_writes_nothing(as_manager, proposed):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"})
    before = row_counts()

    response = transition(as_manager, proposed, "approve", override=True, reason="I insist")

    problem(response, 403, "override_not_allowed")
    assert row_counts() == before
    assert Assignment.objects.get(pk=proposed.pk).state == "proposed"


def test_a_warning_passes_and_is_logged(as_manager, proposed):
    only_rule("soft-10", "max_weekly_hours", {"max_hours": "10.00"}, severity="warning")

    response = transition(as_manager, proposed, "approve")

    assert response.status_code == 200, response.content
    [warning] = logs(proposed)[-1].metadata["warnings"]
    assert warning["rule"] == "soft-10"
    assert warning["facts"] == {"limit": "10.00", "actual": "20.00"}


def test_a_transition_not_allowed_from_the_state_is_409(as_admin, proposed):
    before = row_counts()

    response = transition(as_admin, proposed, "activate")

    body = problem(response, 409, "transition_not_allowed")
    assert body["current_state"] == "proposed"
    assert set(body["available"]) == {"approve", "cancel", "reject"}
    assert row_counts() == before


@pytest.mark.parametrize(
    "data",
    [
        {"transition": "fly"},
        {},
        {"transition": "approve", "override": "perhaps"},
        {"transition": "approve", "colour": "red"},
    ],
)
def test_a_malformed_transition_request_is_400(as_admin, proposed, data):
    before = row_counts()

    response = as_admin.post(f"{detail(proposed.pk)}transitions/", data, format="json")

    problem(response, 400)
    assert row_counts() == before


def test_history_is_newest_first_with_chain_links(as_admin, world):
    created = as_admin.post(URL, payload(world), format="json").json()
    assignment = Assignment.objects.get(pk=created["id"])
    for name in ("approve", "activate", "end"):
        assert transition(as_admin, assignment, name).status_code == 200

    response = as_admin.get(f"{detail(assignment.pk)}history/")

    assert response.status_code == 200
    body = response.json()
    # Each transition is logged, and the row it changed is captured beside it.
    assert body["count"] == 8
    changes = [r for r in body["results"] if r["source"] == "change"]
    assert [c["changes"]["state"] for c in changes] == [
        ["active", "ended"],
        ["approved", "active"],
        ["proposed", "approved"],
        [None, "proposed"],
    ]
    rows = [r for r in body["results"] if r["action"] == "transition"]
    assert [r["transition"] for r in rows] == ["end", "activate", "approve", "propose"]
    assert [(r["from_state"], r["to_state"]) for r in rows] == [
        ("active", "ended"),
        ("approved", "active"),
        ("proposed", "approved"),
        ("", "proposed"),
    ]
    for newer, older in itertools.pairwise(rows):
        assert newer["prev_hash"] == older["hash"]
    assert {
        "transition",
        "from_state",
        "to_state",
        "actor",
        "at",
        "reason",
        "request_id",
        "prev_hash",
        "hash",
    } <= set(rows[0])


def test_violations_returns_the_current_evaluation(as_auditor, world, admin_user, proposed):
    only_rule("cap-30", "max_weekly_hours", {"max_hours": "30.00"}, transitions=("activate",))
    url = f"{detail(proposed.pk)}violations/"
    assert as_auditor.get(url).json() == []

    make_assignment(
        world.emp_in,
        world.pos_in,
        state="approved",
        start=MONDAY,
        end=END,
        hours="15.00",
        actor=admin_user,
    )
    response = as_auditor.get(url)

    assert response.status_code == 200
    body = response.json()
    assert body == evaluate(subject=proposed, transition=None)
    [violation] = body
    assert set(violation) == VIOLATION_KEYS
    assert violation["facts"] == {"limit": "30.00", "actual": "35.00"}
    assert violation["weeks"] == WEEKS


# --- simulate ----------------------------------------------------------------------------------


@pytest.fixture
def busy_position(world, admin_user) -> dict[str, Any]:
    """POS-IN demands 40 h; E-IN already has 10 h on it in W10-W11 and another employee 5 h in
    W10; a 30 h proposal (not counted) sits beside them."""
    other = active_employee(world.child_in, admin_user)
    make_assignment(
        world.emp_in,
        world.pos_in,
        state="approved",
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=13),
        hours="10.00",
        actor=admin_user,
    )
    make_assignment(
        other,
        world.pos_in,
        state="active",
        start=MONDAY,
        end=MONDAY + dt.timedelta(days=6),
        hours="5.00",
        actor=admin_user,
    )
    make_assignment(
        world.emp_in, world.pos_in, state="proposed", start=MONDAY, hours="30.00", actor=admin_user
    )
    return {
        "employee": world.emp_in.pk,
        "position": world.pos_in.pk,
        "start_date": MONDAY.isoformat(),
        "end_date": (MONDAY + dt.timedelta(days=9)).isoformat(),  # Wednesday of W11
        "weekly_hours": "20.00",
    }


def test_simulate_reports_violations_coverage_and_supply_and_writes_nothing(
    as_manager, busy_position
):
    only_rule("cap-25", "max_weekly_hours", {"max_hours": "25.00"})
    before = row_counts()
    counts = (Assignment.objects.count(), AssignmentTransitionLog.objects.count())

    response = as_manager.post(f"{URL}simulate/", busy_position, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    [violation] = body["violations"]
    assert violation["rule"] == "cap-25"
    assert violation["weeks"] == ["2026-W10"]
    assert violation["facts"] == {"limit": "25.00", "actual": "30.00"}
    assert body["blocked"] is True
    # W11 counts 3 of 7 days: 20 × 3 / 7 = 8.57.
    assert body["coverage"] == [
        {
            "week": "2026-W10",
            "week_start": "2026-03-02",
            "required": "40.00",
            "assigned_before": "15.00",
            "assigned_after": "35.00",
            "gap_before": "25.00",
            "gap_after": "5.00",
        },
        {
            "week": "2026-W11",
            "week_start": "2026-03-09",
            "required": "40.00",
            "assigned_before": "10.00",
            "assigned_after": "18.57",
            "gap_before": "30.00",
            "gap_after": "21.43",
        },
    ]
    assert body["supply"] == [
        {
            "week": "2026-W10",
            "week_start": "2026-03-02",
            "supply": "40.00",
            "assigned_before": "10.00",
            "assigned_after": "30.00",
            "free_before": "30.00",
            "free_after": "10.00",
        },
        {
            "week": "2026-W11",
            "week_start": "2026-03-09",
            "supply": "40.00",
            "assigned_before": "10.00",
            "assigned_after": "18.57",
            "free_before": "30.00",
            "free_after": "21.43",
        },
    ]
    assert body["total_hours"] == "28.57"
    assert (Assignment.objects.count(), AssignmentTransitionLog.objects.count()) == counts
    assert row_counts() == before


def test_simulate_without_violations_is_not_blocked(as_admin, busy_position):
    response = as_admin.post(f"{URL}simulate/", busy_position, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["violations"] == []
    assert response.json()["blocked"] is False


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_date": "2026-03-01"}, "end_date"),
        ({"weekly_hours": "0"}, "weekly_hours"),
        ({"weekly_hours": "0.00"}, "weekly_hours"),
        ({"weekly_hours": -5}, "weekly_hours"),
        ({"weekly_hours": 1e9}, "weekly_hours"),
        ({"weekly_hours": "1e9"}, "weekly_hours"),
        ({"weekly_hours": "NaN"}, "weekly_hours"),
        ({"weekly_hours": "Infinity"}, "weekly_hours"),
        ({"weekly_hours": None}, "weekly_hours"),
        ({"start_date": "not a date"}, "start_date"),
        ({"start_date": "9999-12-31", "end_date": None}, "start_date"),
        ({"start_date": "0001-01-01"}, "start_date"),
        ({"end_date": "9999-12-31"}, "end_date"),
        ({"position": "POS-IN"}, "position"),
        ({"override": True}, "override"),
    ],
)
def test_simulate_with_invalid_input_is_400_and_writes_nothing(
    as_admin, busy_position, change, field
):
    before = row_counts()

    response = as_admin.post(f"{URL}simulate/", {**busy_position, **change}, format="json")

    body = problem(response, 400)
    assert field in body["errors"], body
    assert row_counts() == before


def test_simulate_with_a_nan_literal_is_400(as_admin, busy_position):
    raw = (
        f'{{"employee": {busy_position["employee"]}, "position": {busy_position["position"]}, '
        '"start_date": "2026-03-02", "weekly_hours": NaN}'
    )
    before = row_counts()

    response = as_admin.post(f"{URL}simulate/", raw, content_type="application/json")

    problem(response, 400)
    assert row_counts() == before


# --- query counts ------------------------------------------------------------------------------

ROWS = 30


@pytest.fixture
def local_cache(settings) -> None:
    """Throttle counters in memory: the DatabaseCache would add its own queries per request."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.fixture
def crowd(world, admin_user, local_cache) -> None:
    """ROWS assignments in the manager's scope, on several positions and employees."""
    units = [make_unit(f"CR{i}", parent=world.root_in) for i in range(3)]
    for i in range(ROWS):
        unit = units[i % 3]
        employee = active_employee(unit, admin_user)
        position = make_position(unit, start_date=MONDAY)
        make_assignment(
            employee,
            position,
            state=("proposed", "approved")[i % 2],
            start=MONDAY + dt.timedelta(weeks=i % 5),
            actor=admin_user,
        )


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_list_query_count_does_not_depend_on_the_page_size(
    role, crowd, request, django_assert_max_num_queries
):
    client = request.getfixturevalue(f"as_{role}")
    assert client.get(URL).status_code == 200  # warm up per-process caches

    counts: dict[int, int] = {}
    for size in (1, 100):
        with django_assert_max_num_queries(5) as captured:
            response = client.get(URL, {"page_size": size})
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["count"] >= ROWS
        assert len(body["results"]) == min(size, body["count"])
        counts[size] = len(captured.captured_queries)
    assert counts[1] == counts[100], counts


def test_detail_query_count_is_small(as_manager, crowd):
    pk = Assignment.objects.order_by("id").first().pk
    as_manager.get(detail(pk))
    with CaptureQueriesContext(connection) as captured:
        response = as_manager.get(detail(pk))
    assert response.status_code == 200
    assert len(captured.captured_queries) <= 5, [q["sql"] for q in captured.captured_queries]
