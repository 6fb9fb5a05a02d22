"""The audit_log_entry view over the employee, assignment and ledger logs."""

from django.db import migrations

from apps.audit_log.sql import (
    LEGACY_ASSIGNMENT_TRANSITIONS,
    LEGACY_EMPLOYEE_TRANSITIONS,
    LEGACY_LEDGER_ENTRIES,
    view_sql,
)


class Migration(migrations.Migration):
    initial = True
    dependencies = [
        ("fsm", "0003_append_only_triggers"),
        ("assignments", "0002_append_only_log"),
        ("offer", "0002_append_only_ledger"),
    ]
    operations = [
        migrations.RunSQL(
            view_sql(
                LEGACY_EMPLOYEE_TRANSITIONS, LEGACY_ASSIGNMENT_TRANSITIONS, LEGACY_LEDGER_ENTRIES
            ),
            "DROP VIEW IF EXISTS audit_log_entry;",
        ),
    ]
