"""The audit_log_entry view with one type per column (fast newest-first pages)."""

from django.db import migrations

from apps.audit_log.sql import (
    ASSIGNMENT_TRANSITIONS,
    EMPLOYEE_TRANSITIONS,
    LEDGER_ENTRIES,
    LEGACY_ASSIGNMENT_TRANSITIONS,
    LEGACY_EMPLOYEE_TRANSITIONS,
    LEGACY_LEDGER_ENTRIES,
    LEGACY_TAG_CHANGES,
    TYPED_TAG_CHANGES_WITH_JOIN,
    view_sql,
)


class Migration(migrations.Migration):
    dependencies = [("audit_log", "0003_tag_changes_in_view")]
    operations = [
        migrations.RunSQL(
            view_sql(
                EMPLOYEE_TRANSITIONS,
                ASSIGNMENT_TRANSITIONS,
                LEDGER_ENTRIES,
                TYPED_TAG_CHANGES_WITH_JOIN,
            ),
            view_sql(
                LEGACY_EMPLOYEE_TRANSITIONS,
                LEGACY_ASSIGNMENT_TRANSITIONS,
                LEGACY_LEDGER_ENTRIES,
                LEGACY_TAG_CHANGES,
            ),
        ),
    ]
