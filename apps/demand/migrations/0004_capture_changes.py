"""Every create, update and delete of demand_coveragerequirement is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py); the rows there already are
recorded as created, so that the record starts complete.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("demand", "0003_date_range_constraints"), ("core", "0002_change_log")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER demand_coveragerequirement_capture AFTER INSERT OR UPDATE OR DELETE ON demand_coveragerequirement FOR EACH ROW EXECUTE FUNCTION coveris_capture('coverage_requirement', 'id', 'position', 'position_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS demand_coveragerequirement_capture ON demand_coveragerequirement;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('coverage_requirement', 'id', 'position', 'position_id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM demand_coveragerequirement t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
    ]
