"""The database refuses TRUNCATE on tags_tagchangelog too (UPDATE and DELETE already are): a log is
never emptied. The owner can still bypass triggers (session_replication_role), which the
application's role cannot; `verify` finds what such an edit broke."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tags", "0003_date_range_constraints"), ("fsm", "0004_refuse_truncate")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER tags_tagchangelog_no_truncate BEFORE TRUNCATE ON tags_tagchangelog FOR EACH STATEMENT EXECUTE FUNCTION coveris_refuse_log_change();",
            "DROP TRIGGER IF EXISTS tags_tagchangelog_no_truncate ON tags_tagchangelog;",
        ),
    ]
