"""business-rules/ through the API: HR admins only, parameters validated against the kind, the
kinds and their schemas, the default catalogue, and a rule taking effect on approve."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.business_rules.models import BusinessRule
from tests.assignments.conftest import active_employee, problem, row_counts
from tests.factories.assignments import make_assignment
from tests.factories.org import make_position, make_unit

pytestmark = pytest.mark.django_db

URL = "/api/v1/business-rules/"
FIELDS = {"id", "code", "name", "kind", "params", "severity", "enabled", "scope", "transitions"}
KINDS = {
    "max_weekly_hours": {"max_hours"},
    "no_overcommit": set(),
    "required_tags": set(),
    "allowed_employee_states": {"states"},
    "position_capacity": {"tolerance"},
    "max_concurrent_assignments": {"max"},
    "leave_balance": {"kinds"},
    "leave_opens_gap": {"max_gap_hours"},
}
# Parameters with a default are optional.
OPTIONAL = {"kinds", "max_gap_hours"}
DEFAULT_CODES = {
    "max-48-hours",
    "no-overcommit",
    "required-tags",
    "employee-available",
    "employee-active-to-start",
    "position-capacity",
    "max-3-assignments",
}


def new_rule(**kw: Any) -> dict[str, Any]:
    body = {
        "code": "cap-40",
        "name": "At most 40 hours",
        "kind": "max_weekly_hours",
        "params": {"max_hours": 40},
        "severity": "error",
        "enabled": True,
        "scope": None,
        "transitions": ["approve"],
    }
    body.update(kw)
    return body


@pytest.fixture
def rule() -> BusinessRule:
    return BusinessRule.objects.create(
        code="cap-40",
        name="At most 40 hours",
        kind="max_weekly_hours",
        params={"max_hours": "40.00"},
        transitions=["approve"],
    )


def rules_snapshot() -> list[dict[str, Any]]:
    return list(BusinessRule.objects.order_by("pk").values())


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "employee", "anonymous"])
def test_only_hr_admins_and_auditors_may_use_business_rules(role, request, rule):
    client = APIClient() if role == "anonymous" else request.getfixturevalue(f"as_{role}")
    expected, code = (
        (401, "not_authenticated") if role == "anonymous" else (403, "permission_denied")
    )
    detail = f"{URL}{rule.pk}/"
    before = rules_snapshot()
    counts = row_counts()

    for response in (
        client.get(URL),
        client.get(detail),
        client.get(f"{URL}kinds/"),
        client.post(URL, new_rule(code="other"), format="json"),
        client.patch(detail, {"enabled": False}, format="json"),
        client.put(detail, new_rule(), format="json"),
        client.delete(detail),
    ):
        problem(response, expected, code)
    assert rules_snapshot() == before
    assert row_counts() == counts


def test_auditor_reads_but_does_not_change_the_catalogue(as_auditor, rule):
    detail = f"{URL}{rule.pk}/"
    before = rules_snapshot()
    assert as_auditor.get(URL).status_code == 200
    assert as_auditor.get(detail).json()["code"] == rule.code
    assert as_auditor.get(f"{URL}kinds/").status_code == 200
    for response in (
        as_auditor.post(URL, new_rule(code="other"), format="json"),
        as_auditor.patch(detail, {"enabled": False}, format="json"),
        as_auditor.delete(detail),
    ):
        problem(response, 403, "permission_denied")
    assert rules_snapshot() == before


def test_admin_lists_the_catalogue(as_admin, rule):
    response = as_admin.get(URL, {"page_size": 100})

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == BusinessRule.objects.count()
    codes = [row["code"] for row in body["results"]]
    assert codes == sorted(codes)
    assert set(body["results"][0]) == FIELDS
    assert as_admin.get(URL, {"kind": "max_weekly_hours", "search": "cap"}).json()["count"] == 1


# --- CRUD ------------------------------------------------------------------------------------


def test_create_validates_and_stores_the_params(as_admin):
    response = as_admin.post(
        URL, new_rule(transitions=["approve", "propose", "approve"]), format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == FIELDS
    assert body["params"] == {"max_hours": "40.00"}
    assert body["transitions"] == ["approve", "propose"]
    stored = BusinessRule.objects.get(code="cap-40")
    assert stored.params == {"max_hours": "40.00"}
    assert stored.transitions == ["approve", "propose"]
    assert (stored.kind, stored.severity, stored.enabled) == ("max_weekly_hours", "error", True)


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("no_overcommit", {}),
        ("required_tags", {}),
        ("allowed_employee_states", {"states": ["active", "on_leave"]}),
        ("position_capacity", {"tolerance": "0.25"}),
        ("max_concurrent_assignments", {"max": 2}),
    ],
)
def test_every_kind_can_be_created(as_admin, kind, params):
    response = as_admin.post(
        URL,
        new_rule(code=f"r-{kind}"[:60].replace("_", "-"), kind=kind, params=params),
        format="json",
    )

    assert response.status_code == 201, response.content
    assert BusinessRule.objects.get(pk=response.json()["id"]).kind == kind


@pytest.mark.parametrize(
    ("change", "field", "errors"),
    [
        ({"params": {}}, "params", {"params": {"max_hours": ["This field is required."]}}),
        (
            {"params": {"max_hours": 40, "min_hours": 5}},
            "params",
            {"params": {"min_hours": ["Unknown parameter."]}},
        ),
        (
            {"params": {"max_hours": "forty"}},
            "params",
            {"params": {"max_hours": ["A valid number is required."]}},
        ),
        ({"params": {"max_hours": 400}}, "params", None),
        ({"params": {"max_hours": "NaN"}}, "params", None),
        ({"params": [40]}, "params", None),
        ({"kind": "max_daily_hours"}, "kind", None),
        (
            {"kind": "position_capacity"},
            "params",
            {"params": {"max_hours": ["Unknown parameter."]}},
        ),
        (
            {"kind": "position_capacity", "params": {}},
            "params",
            {"params": {"tolerance": ["This field is required."]}},
        ),
        ({"kind": "allowed_employee_states", "params": {"states": ["retired"]}}, "params", None),
        ({"kind": "allowed_employee_states", "params": {"states": []}}, "params", None),
        ({"kind": "max_concurrent_assignments", "params": {"max": 1.5}}, "params", None),
        ({"transitions": ["approve", "promote"]}, "transitions", None),
        ({"transitions": "approve"}, "transitions", None),
        ({"severity": "fatal"}, "severity", None),
        ({"scope": 999999}, "scope", None),
        ({"code": "has spaces"}, "code", None),
        ({"colour": "red"}, "colour", {"colour": ["Unknown field."]}),
    ],
)
def test_create_with_invalid_input_is_400_and_writes_nothing(as_admin, change, field, errors):
    before = rules_snapshot()

    response = as_admin.post(URL, new_rule(**change), format="json")

    body = problem(response, 400)
    assert field in body["errors"], body
    if errors is not None:
        assert body["errors"] == errors
    assert rules_snapshot() == before


def test_a_duplicate_code_is_400(as_admin, rule):
    before = rules_snapshot()

    response = as_admin.post(URL, new_rule(code="cap-40"), format="json")

    assert "code" in problem(response, 400)["errors"]
    assert rules_snapshot() == before


def test_patch_params_are_validated_against_the_stored_kind(as_admin, rule):
    bad = as_admin.patch(f"{URL}{rule.pk}/", {"params": {"tolerance": "0.1"}}, format="json")
    assert problem(bad, 400)["errors"] == {"params": {"tolerance": ["Unknown parameter."]}}
    assert BusinessRule.objects.get(pk=rule.pk).params == {"max_hours": "40.00"}

    good = as_admin.patch(f"{URL}{rule.pk}/", {"params": {"max_hours": "38.5"}}, format="json")

    assert good.status_code == 200, good.content
    assert good.json()["params"] == {"max_hours": "38.50"}
    assert BusinessRule.objects.get(pk=rule.pk).params == {"max_hours": "38.50"}


def test_patch_kind_without_matching_params_is_400(as_admin, rule):
    response = as_admin.patch(
        f"{URL}{rule.pk}/", {"kind": "max_concurrent_assignments"}, format="json"
    )

    assert problem(response, 400)["errors"] == {"params": {"max_hours": ["Unknown parameter."]}}
    assert BusinessRule.objects.get(pk=rule.pk).kind == "max_weekly_hours"


def test_patch_with_a_stale_if_match_is_412(as_admin, rule):
    stale = as_admin.get(f"{URL}{rule.pk}/")["ETag"]
    assert (
        as_admin.patch(
            f"{URL}{rule.pk}/", {"enabled": False}, format="json", HTTP_IF_MATCH=stale
        ).status_code
        == 200
    )
    before = rules_snapshot()

    response = as_admin.patch(
        f"{URL}{rule.pk}/", {"severity": "warning"}, format="json", HTTP_IF_MATCH=stale
    )

    problem(response, 412, "precondition_failed")
    assert rules_snapshot() == before


def test_put_replaces_the_rule(as_admin, rule):
    response = as_admin.put(
        f"{URL}{rule.pk}/",
        new_rule(
            kind="position_capacity",
            params={"tolerance": 0.2},
            severity="warning",
            transitions=["activate"],
        ),
        format="json",
    )

    assert response.status_code == 200, response.content
    stored = BusinessRule.objects.get(pk=rule.pk)
    assert (stored.kind, stored.params, stored.severity, stored.transitions) == (
        "position_capacity",
        {"tolerance": "0.20"},
        "warning",
        ["activate"],
    )


def test_delete_is_204_and_removes_the_rule(as_admin, rule):
    response = as_admin.delete(f"{URL}{rule.pk}/")

    assert response.status_code == 204
    assert response.content == b""
    assert not BusinessRule.objects.filter(pk=rule.pk).exists()
    problem(as_admin.get(f"{URL}{rule.pk}/"), 404, "not_found")
    problem(as_admin.delete(f"{URL}{rule.pk}/"), 404, "not_found")


# --- kinds and the default catalogue ----------------------------------------------------------


def test_kinds_lists_every_kind_with_its_schema(as_admin):
    response = as_admin.get(f"{URL}kinds/")

    assert response.status_code == 200
    body = response.json()
    assert [k["name"] for k in body] == sorted(KINDS)
    for kind in body:
        assert kind["description"]
        schema = kind["schema"]
        assert schema["type"] == "object"
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == KINDS[kind["name"]]
        assert set(schema.get("required", [])) == KINDS[kind["name"]] - OPTIONAL
    by_name = {k["name"]: k["schema"] for k in body}
    assert by_name["max_weekly_hours"]["properties"]["max_hours"]["type"] == "number"
    assert by_name["max_concurrent_assignments"]["properties"]["max"]["type"] == "integer"
    assert "active" in by_name["allowed_employee_states"]["properties"]["states"]["items"]["enum"]
    assert "vacation" in by_name["leave_balance"]["properties"]["kinds"]["items"]["enum"]


def test_default_rules_exist_after_migrations(as_admin):
    body = as_admin.get(URL, {"page_size": 100}).json()

    rules = {row["code"]: row for row in body["results"]}
    assert set(rules) >= DEFAULT_CODES
    assert rules["max-48-hours"]["kind"] == "max_weekly_hours"
    assert rules["max-48-hours"]["params"] == {"max_hours": "48.00"}
    assert rules["no-overcommit"]["severity"] == "error"
    assert rules["position-capacity"]["severity"] == "warning"
    assert rules["employee-available"]["params"]["states"] == ["onboarding", "active", "on_leave"]
    assert rules["max-3-assignments"]["enabled"] is False
    assert all(rules[code]["enabled"] for code in DEFAULT_CODES - {"max-3-assignments"})
    assert all(rules[code]["scope"] is None for code in DEFAULT_CODES)
    # Every default rule's parameters pass its own kind's validation.
    from apps.business_rules.kinds import kinds

    for code in DEFAULT_CODES:
        kind = kinds()[rules[code]["kind"]]
        assert kind.validate_params(rules[code]["params"]) is not None


# --- a rule created through the API takes effect -------------------------------------------------


def test_a_rule_created_through_the_api_blocks_approve(as_admin, admin_user):
    BusinessRule.objects.update(enabled=False)
    unit = make_unit()
    assignment = make_assignment(
        active_employee(unit, admin_user), make_position(unit), hours="20.00"
    )
    created = as_admin.post(
        URL, new_rule(code="cap-15", params={"max_hours": 15}, scope=unit.pk), format="json"
    )
    assert created.status_code == 201, created.content

    response = as_admin.post(
        f"/api/v1/assignments/{assignment.pk}/transitions/",
        {"transition": "approve"},
        format="json",
    )

    [violation] = problem(response, 422, "rule_violation")["violations"]
    assert violation["rule"] == "cap-15"
    assert violation["facts"]["limit"] == "15.00"
    assert Assignment.objects.get(pk=assignment.pk).state == "proposed"
    assert not AssignmentTransitionLog.objects.filter(subject=assignment).exists()

    # Disabled through the API, it no longer blocks.
    rule_id = created.json()["id"]
    assert as_admin.patch(f"{URL}{rule_id}/", {"enabled": False}, format="json").status_code == 200
    response = as_admin.post(
        f"/api/v1/assignments/{assignment.pk}/transitions/",
        {"transition": "approve"},
        format="json",
    )
    assert response.status_code == 200, response.content


# --- query count -------------------------------------------------------------------------------


@pytest.fixture
def many_rules(settings) -> None:
    """30 more rules; throttle counters in memory (the DatabaseCache adds its own queries)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    scope = make_unit()
    BusinessRule.objects.bulk_create(
        BusinessRule(
            code=f"rule-{i:02d}",
            name=f"Rule {i}",
            kind="max_weekly_hours",
            params={"max_hours": "40.00"},
            transitions=["approve"],
            scope=scope if i % 2 else None,
        )
        for i in range(30)
    )


def test_list_query_count_does_not_depend_on_the_page_size(
    as_admin, many_rules, django_assert_max_num_queries
):
    assert as_admin.get(URL).status_code == 200  # warm up per-process caches
    counts: dict[int, int] = {}
    for size in (1, 100):
        with django_assert_max_num_queries(5) as captured:
            response = as_admin.get(URL, {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == min(size, response.json()["count"])
        assert response.json()["count"] >= 30
        counts[size] = len(captured.captured_queries)
    assert counts[1] == counts[100], counts


def test_a_rule_created_without_transitions_guards_propose_and_approve(as_admin):
    import datetime as dt

    from tests.factories.org import make_employee, make_position, make_unit

    body = new_rule(code="cap-10", params={"max_hours": 10})
    del body["transitions"]
    response = as_admin.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["transitions"] == ["approve", "propose"]
    BusinessRule.objects.exclude(code="cap-10").update(enabled=False)
    unit = make_unit()
    proposal = {
        "employee": make_employee(unit).pk,
        "position": make_position(unit).pk,
        "start_date": dt.date(2026, 3, 2).isoformat(),
        "weekly_hours": "20.00",
    }
    refused = as_admin.post("/api/v1/assignments/", proposal, format="json")
    assert refused.status_code == 422, refused.content
    assert [v["rule"] for v in refused.json()["violations"]] == ["cap-10"]
