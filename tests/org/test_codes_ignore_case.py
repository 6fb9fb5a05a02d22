"""Unique codes ignoring case (issue 16, item 9): org units, positions, tags, rules and employee
numbers; a database constraint, a 400 naming the field with code `unique`, nothing written; the
migration reports existing clashes."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as live_apps
from django.db import IntegrityError, transaction

from apps.business_rules.models import BusinessRule
from apps.org.models import Employee, OrgUnit, Position
from apps.tags.models import TagCatalog
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import make_tag

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_code_that_differs_only_in_case():
    make_unit(code="WARD")
    with pytest.raises(IntegrityError), transaction.atomic():
        OrgUnit.objects.create(code="ward", name="Ward again", path="/x/")


def _post(as_admin, url, body):
    response = as_admin.post(url, body, format="json")
    assert response.status_code == 400, response.content
    problem = response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    return problem


def test_creating_each_kind_with_another_case_is_a_400_naming_the_field(as_admin):
    unit = make_unit(code="WARD")
    make_position(unit, code="NURSE")
    make_employee(unit, employee_number="E-ABC")
    make_tag(code="forklift")
    BusinessRule.objects.create(code="cap-40", name="Cap", kind="max_weekly_hours", params={})
    cases = [
        ("/api/v1/org-units/", {"code": "ward", "name": "W"}, "code", OrgUnit),
        (
            "/api/v1/positions/",
            {
                "code": "nurse",
                "title": "N",
                "org_unit": unit.pk,
                "weekly_hours": "10",
                "start_date": "2026-01-05",
            },
            "code",
            Position,
        ),
        (
            "/api/v1/employees/",
            {
                "employee_number": "e-abc",
                "first_name": "A",
                "last_name": "B",
                "email": "ab@example.test",
                "org_unit": unit.pk,
                "contract_hours": "40",
                "hire_date": "2026-01-05",
            },
            "employee_number",
            Employee,
        ),
        (
            "/api/v1/tags/",
            {"code": "FORKLIFT", "label": "F", "category": "skill"},
            "code",
            TagCatalog,
        ),
        (
            "/api/v1/business-rules/",
            {
                "code": "CAP-40",
                "name": "Cap",
                "kind": "max_weekly_hours",
                "params": {"max_hours": 40},
            },
            "code",
            BusinessRule,
        ),
    ]
    for url, body, field, model in cases:
        before = model.objects.count()
        problem = _post(as_admin, url, body)
        assert field in problem["errors"], (url, problem)
        assert "ignore case" in problem["errors"][field][0]
        assert model.objects.count() == before, url


def test_renaming_into_another_case_of_an_existing_code_is_a_400(as_admin):
    make_unit(code="WARD")
    other = make_unit(code="LAB")
    response = as_admin.patch(f"/api/v1/org-units/{other.pk}/", {"code": "Ward"}, format="json")
    assert response.status_code == 400, response.content
    assert "code" in response.json()["errors"]
    assert OrgUnit.objects.get(pk=other.pk).code == "LAB"


def test_changing_only_the_case_of_ones_own_code_is_fine(as_admin):
    unit = make_unit(code="WARD")
    response = as_admin.patch(f"/api/v1/org-units/{unit.pk}/", {"code": "Ward"}, format="json")
    assert response.status_code == 200, response.content


def test_the_migration_reports_every_clash_before_adding_the_constraint():
    migration = importlib.import_module("apps.org.migrations.0010_codes_unique_ignoring_case")

    class Rows:
        """Stand-in registry: the live models, with the constraint dropped for the clash."""

        @staticmethod
        def get_model(app_label, model_name):
            return live_apps.get_model(app_label, model_name)

    with transaction.atomic():
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "ALTER TABLE org_orgunit DROP CONSTRAINT IF EXISTS orgunit_code_ci_unique"
            )
            cursor.execute("DROP INDEX IF EXISTS orgunit_code_ci_unique")
        make_unit(code="ICU")
        make_unit(code="icu")
        with pytest.raises(RuntimeError, match=r"OrgUnit\.code: ICU, icu"):
            migration.report_clashes(Rows, None)
        transaction.set_rollback(True)
