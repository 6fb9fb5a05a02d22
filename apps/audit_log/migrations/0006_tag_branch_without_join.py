"""The tag-change branch takes the tag's code from its snapshot: no join, so newest-first pages
stay a merge of index scans however many tag changes there are."""

from django.db import migrations

from apps.audit_log.sql import (
    ASSIGNMENT_TRANSITIONS,
    EMPLOYEE_TRANSITIONS,
    LEDGER_ENTRIES,
    TAG_CHANGES,
    TYPED_TAG_CHANGES_WITH_JOIN,
    view_sql,
)


class Migration(migrations.Migration):
    dependencies = [("audit_log", "0005_alter_auditentry_options")]
    operations = [
        migrations.RunSQL(
            view_sql(EMPLOYEE_TRANSITIONS, ASSIGNMENT_TRANSITIONS, LEDGER_ENTRIES, TAG_CHANGES),
            view_sql(
                EMPLOYEE_TRANSITIONS,
                ASSIGNMENT_TRANSITIONS,
                LEDGER_ENTRIES,
                TYPED_TAG_CHANGES_WITH_JOIN,
            ),
        ),
    ]
