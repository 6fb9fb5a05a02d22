"""Every create, update and delete of assignments_assignment is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py).

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
    ]
