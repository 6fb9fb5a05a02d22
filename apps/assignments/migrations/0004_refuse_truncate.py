"""The database refuses TRUNCATE on assignments_assignmenttransitionlog too (UPDATE and DELETE already are): a log is
never emptied. The owner can still bypass triggers (session_replication_role), which the
application's role cannot; `verify` finds what such an edit broke."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("assignments", "0003_date_range_constraints"), ("fsm", "0004_refuse_truncate")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER assignments_assignmenttransitionlog_no_truncate BEFORE TRUNCATE ON assignments_assignmenttransitionlog FOR EACH STATEMENT EXECUTE FUNCTION coveris_refuse_log_change();",
            "DROP TRIGGER IF EXISTS assignments_assignmenttransitionlog_no_truncate ON assignments_assignmenttransitionlog;",
        ),
    ]
