"""Every create, update and delete of assignments_assignment is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py); the rows there already are
recorded as created, so that the record starts complete.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("assignments", "0004_refuse_truncate"), ("core", "0002_change_log")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER assignments_assignment_capture AFTER INSERT OR UPDATE OR DELETE ON assignments_assignment FOR EACH ROW EXECUTE FUNCTION coveris_capture('assignment', 'id', 'assignment', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS assignments_assignment_capture ON assignments_assignment;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('assignment', 'id', 'assignment', 'id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM assignments_assignment t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
    ]
