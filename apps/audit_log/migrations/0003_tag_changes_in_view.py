"""Tag changes join the audit_log_entry view."""

from django.db import migrations

from apps.audit_log.sql import (
    LEGACY_ASSIGNMENT_TRANSITIONS,
    LEGACY_EMPLOYEE_TRANSITIONS,
    LEGACY_LEDGER_ENTRIES,
    LEGACY_TAG_CHANGES,
    view_sql,
)


class Migration(migrations.Migration):
    dependencies = [("audit_log", "0002_initial"), ("tags", "0002_append_only_tag_log")]
    operations = [
        migrations.RunSQL(
            view_sql(
                LEGACY_EMPLOYEE_TRANSITIONS,
                LEGACY_ASSIGNMENT_TRANSITIONS,
                LEGACY_LEDGER_ENTRIES,
                LEGACY_TAG_CHANGES,
            ),
            view_sql(
                LEGACY_EMPLOYEE_TRANSITIONS, LEGACY_ASSIGNMENT_TRANSITIONS, LEGACY_LEDGER_ENTRIES
            ),
        ),
    ]
