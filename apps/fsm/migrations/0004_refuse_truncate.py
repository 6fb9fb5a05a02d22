"""The database refuses TRUNCATE on fsm_employeetransitionlog too (UPDATE and DELETE already are): a log is
never emptied. The owner can still bypass triggers (session_replication_role), which the
application's role cannot; `verify` finds what such an edit broke."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("fsm", "0003_append_only_triggers")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER fsm_employeetransitionlog_no_truncate BEFORE TRUNCATE ON fsm_employeetransitionlog FOR EACH STATEMENT EXECUTE FUNCTION coveris_refuse_log_change();",
            "DROP TRIGGER IF EXISTS fsm_employeetransitionlog_no_truncate ON fsm_employeetransitionlog;",
        ),
    ]
