"""apps.audit_log.sql is the live definition of the audit view; EntityType is its one list of
entity types."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from apps.audit_log.models import AuditEntry, EntityType
from apps.audit_log.sql import BRANCHES, view_sql
from apps.tags.models import SubjectType

pytestmark = pytest.mark.django_db


def test_the_migrated_view_is_the_live_sql():
    # Changing sql.py without a migration that runs the new text (or a migration without the
    # change here) leaves the two apart.
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY VIEW audit_log_entry_live AS " + "\nUNION ALL\n".join(BRANCHES)
        )
        cursor.execute(
            "SELECT pg_get_viewdef('audit_log_entry'::regclass),"
            " pg_get_viewdef('audit_log_entry_live'::regclass)"
        )
        migrated, live = cursor.fetchone()
    assert live == migrated


def test_view_sql_replaces_the_view_over_every_branch():
    sql = view_sql()
    assert sql.startswith("DROP VIEW IF EXISTS audit_log_entry;\nCREATE VIEW audit_log_entry AS\n")
    assert sql.count("UNION ALL") == len(BRANCHES) - 1
    assert sql.endswith(";")


def test_every_tag_subject_is_an_entity_type():
    # The tag branch passes the log's subject_type through as the entity type.
    assert set(SubjectType.values) <= set(EntityType.values)


def test_subject_paths_name_the_api_collection():
    row = AuditEntry(entity_type=EntityType.ASSIGNMENT, entity_id=7)
    assert row.subject_path == "/api/v1/assignments/7/"
    assert AuditEntry(entity_type="planet", entity_id=1).subject_path == "/api/v1/planet/1/"


def test_the_schema_lists_every_entity_type():
    schema = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    entry = schema["components"]["schemas"]["AuditEntry"]["properties"]["entity_type"]
    component = schema["components"]["schemas"][entry["allOf"][0]["$ref"].rsplit("/", 1)[1]]
    assert component["enum"] == EntityType.values
    parameters = schema["paths"]["/api/v1/audit-log/"]["get"]["parameters"]
    [entity_type] = [p for p in parameters if p["name"] == "entity_type"]
    assert sorted(entity_type["schema"]["enum"]) == sorted(EntityType.values)


# What Django's autodetector writes into a migration: a model's bases, its manager and a field's
# callable default (a rule's transitions).
MODEL_STATE_IMPORTS = {
    "apps.fsm.mixins",
    "apps.users.models",
    "apps.business_rules.models",
    "apps.calendars.models",  # a calendar's default week
}


def test_migrations_read_no_live_module():
    import ast
    from pathlib import Path

    imported = set()
    for path in Path("apps").glob("*/migrations/*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((node.module, str(path)))
            elif isinstance(node, ast.Import):
                imported.update((alias.name, str(path)) for alias in node.names)
    live = {
        (module, path)
        for module, path in imported
        if module.split(".")[0] in ("apps", "config") and module not in MODEL_STATE_IMPORTS
    }
    assert live == set()
