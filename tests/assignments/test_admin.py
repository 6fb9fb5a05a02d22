"""Assignments and rules in the Django admin: transition buttons go through the one path (rules,
override, log with the admin as actor); rule parameters are validated against the kind."""

from __future__ import annotations

import html

import pytest

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.business_rules.models import BusinessRule
from apps.fsm.verify import verify_log
from tests.assignments.conftest import World
from tests.factories.assignments import make_assignment, only_rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def proposed(world: World, admin_user) -> Assignment:
    BusinessRule.objects.update(enabled=False)
    return make_assignment(world.emp_in, world.pos_in, hours="20.00", actor=admin_user)


def transition_url(assignment: Assignment, name: str) -> str:
    return f"/admin/assignments/assignment/{assignment.pk}/transition/{name}/"


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def shown_message(response) -> str:
    """The admin's message list on the page (lower case)."""
    text = page_text(response)
    start = text.find('<ul class="messagelist">')
    assert start >= 0, "no message shown"
    return text[start : text.find("</ul>", start)].lower()


def test_change_page_shows_the_transition_buttons(admin_client_, proposed):
    page = admin_client_.get(f"/admin/assignments/assignment/{proposed.pk}/change/")

    assert page.status_code == 200
    for name in ("approve", "cancel", "reject"):
        assert name in page_text(page)
    assert admin_client_.get(transition_url(proposed, "approve")).status_code == 200


def test_approve_button_goes_through_the_service_and_logs_the_admin(
    admin_client_, admin_user, proposed
):
    response = admin_client_.post(transition_url(proposed, "approve"), {"reason": "staffing"})

    assert response.status_code == 302
    assert Assignment.objects.get(pk=proposed.pk).state == "approved"
    log = AssignmentTransitionLog.objects.get(subject=proposed)
    assert (log.transition, log.from_state, log.to_state) == ("approve", "proposed", "approved")
    assert (log.actor, log.reason) == (admin_user, "staffing")
    assert verify_log(AssignmentTransitionLog)["ok"] is True


def test_a_blocking_rule_shows_its_message_and_changes_nothing(admin_client_, proposed):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"})

    response = admin_client_.post(
        transition_url(proposed, "approve"), {"reason": "try"}, follow=True
    )

    assert response.status_code == 200
    message = shown_message(response)
    assert "approve failed" in message
    assert "over the limit of 10.00 h" in message
    assert Assignment.objects.get(pk=proposed.pk).state == "proposed"
    assert not AssignmentTransitionLog.objects.exists()


def test_override_without_a_reason_changes_nothing(admin_client_, proposed):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"})

    response = admin_client_.post(
        transition_url(proposed, "approve"), {"override": "on", "reason": ""}, follow=True
    )

    message = shown_message(response)
    assert "approve failed" in message
    assert "reason is required" in message
    assert Assignment.objects.get(pk=proposed.pk).state == "proposed"
    assert not AssignmentTransitionLog.objects.exists()


def test_override_with_a_reason_passes_and_is_logged(admin_client_, admin_user, proposed):
    only_rule("cap-10", "max_weekly_hours", {"max_hours": "10.00"})

    response = admin_client_.post(
        transition_url(proposed, "approve"), {"override": "on", "reason": "agreed with the union"}
    )

    assert response.status_code == 302
    assert Assignment.objects.get(pk=proposed.pk).state == "approved"
    log = AssignmentTransitionLog.objects.get(subject=proposed)
    assert log.actor == admin_user
    assert log.reason == "agreed with the union"
    assert log.metadata["override"] is True
    [overridden] = log.metadata["overridden"]
    assert (overridden["rule"], overridden["facts"]) == (
        "cap-10",
        {"limit": "10.00", "actual": "20.00"},
    )


def test_an_illegal_transition_in_the_admin_changes_nothing(admin_client_, proposed):
    response = admin_client_.post(transition_url(proposed, "activate"), {"reason": "x"})

    assert response.status_code == 200  # the form again, with the error message
    assert Assignment.objects.get(pk=proposed.pk).state == "proposed"
    assert not AssignmentTransitionLog.objects.exists()


def test_the_assignment_log_is_read_only_in_the_admin(admin_client_, admin_user, proposed):
    admin_client_.post(transition_url(proposed, "approve"), {"reason": "ok"})
    log = AssignmentTransitionLog.objects.get()

    assert admin_client_.get("/admin/assignments/assignmenttransitionlog/").status_code == 200
    detail = admin_client_.get(f"/admin/assignments/assignmenttransitionlog/{log.pk}/change/")
    assert detail.status_code == 200
    assert b'name="reason"' not in detail.content
    assert (
        admin_client_.post(
            f"/admin/assignments/assignmenttransitionlog/{log.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert AssignmentTransitionLog.objects.filter(pk=log.pk).exists()


def test_assignment_list_and_search_in_the_admin(admin_client_, proposed):
    response = admin_client_.get(
        "/admin/assignments/assignment/", {"q": proposed.employee.last_name, "state": "proposed"}
    )

    assert response.status_code == 200
    assert f"/admin/assignments/assignment/{proposed.pk}/change/" in page_text(response)


# --- business rules -------------------------------------------------------------------------


def rule_form(**kw: str) -> dict[str, str]:
    form = {
        "code": "cap-40",
        "name": "At most 40 hours",
        "kind": "max_weekly_hours",
        "params": '{"max_hours": 40}',
        "severity": "error",
        "enabled": "on",
        "scope": "",
        "transitions": "approve,activate",
    }
    form.update(kw)
    return form


def test_rule_admin_saves_validated_params(admin_client_):
    response = admin_client_.post("/admin/business_rules/businessrule/add/", rule_form())

    assert response.status_code == 302, page_text(response)
    rule = BusinessRule.objects.get(code="cap-40")
    assert rule.params == {"max_hours": "40.00"}
    assert rule.transitions == ["activate", "approve"]  # deduplicated and sorted, as in the API


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"params": "{}"}, "max_hours: This field is required."),
        ({"params": '{"max_hours": 40, "colour": "red"}'}, "colour: Unknown parameter."),
        ({"params": '{"max_hours": "forty"}'}, "A valid number is required."),
        ({"params": '{"max_hours": 999}'}, "max_hours"),
        ({"params": "[40]"}, "Parameters must be an object."),
        ({"kind": "no_such_kind"}, "Select a valid choice."),
        ({"kind": "max_concurrent_assignments"}, "max_hours"),
        ({"transitions": "approve,promote"}, "Unknown transition(s): promote"),
    ],
)
def test_rule_admin_rejects_bad_input(admin_client_, change, message):
    before = list(BusinessRule.objects.values())

    response = admin_client_.post("/admin/business_rules/businessrule/add/", rule_form(**change))

    assert response.status_code == 200  # the form again, with the error
    text = page_text(response)
    assert "errornote" in text
    assert message in text
    assert list(BusinessRule.objects.values()) == before


def test_rule_admin_change_form_validates_too(admin_client_):
    rule = BusinessRule.objects.get(code="max-48-hours")
    url = f"/admin/business_rules/businessrule/{rule.pk}/change/"
    assert admin_client_.get(url).status_code == 200

    response = admin_client_.post(url, rule_form(code=rule.code, params='{"max_hours": -1}'))

    assert response.status_code == 200
    assert BusinessRule.objects.get(pk=rule.pk).params == {"max_hours": "48.00"}
