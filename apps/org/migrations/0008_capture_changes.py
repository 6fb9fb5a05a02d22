"""Every create, update and delete of org_contracthours, org_employee, org_managerscope, org_orgunit, org_position, org_weeklyhours is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py); the rows there already are
recorded as created, so that the record starts complete.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("org", "0007_first_hours_versions"), ("core", "0002_change_log")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER org_contracthours_capture AFTER INSERT OR UPDATE OR DELETE ON org_contracthours FOR EACH ROW EXECUTE FUNCTION coveris_capture('contract_hours', 'id', 'employee', 'employee_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS org_contracthours_capture ON org_contracthours;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('contract_hours', 'id', 'employee', 'employee_id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM org_contracthours t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TRIGGER org_employee_capture AFTER INSERT OR UPDATE OR DELETE ON org_employee FOR EACH ROW EXECUTE FUNCTION coveris_capture('employee', 'id', 'employee', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS org_employee_capture ON org_employee;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('employee', 'id', 'employee', 'id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM org_employee t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TRIGGER org_managerscope_capture AFTER INSERT OR UPDATE OR DELETE ON org_managerscope FOR EACH ROW EXECUTE FUNCTION coveris_capture('user', 'user_id', 'user', 'user_id', 'updated_at', 'scope', 'org_unit_id');",
            "DROP TRIGGER IF EXISTS org_managerscope_capture ON org_managerscope;",
        ),
        migrations.RunSQL(
            "CREATE TRIGGER org_orgunit_capture AFTER INSERT OR UPDATE OR DELETE ON org_orgunit FOR EACH ROW EXECUTE FUNCTION coveris_capture('org_unit', 'id', 'org_unit', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS org_orgunit_capture ON org_orgunit;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('org_unit', 'id', 'org_unit', 'id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM org_orgunit t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TRIGGER org_position_capture AFTER INSERT OR UPDATE OR DELETE ON org_position FOR EACH ROW EXECUTE FUNCTION coveris_capture('position', 'id', 'position', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS org_position_capture ON org_position;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('position', 'id', 'position', 'id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM org_position t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TRIGGER org_weeklyhours_capture AFTER INSERT OR UPDATE OR DELETE ON org_weeklyhours FOR EACH ROW EXECUTE FUNCTION coveris_capture('weekly_hours', 'id', 'position', 'position_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS org_weeklyhours_capture ON org_weeklyhours;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('weekly_hours', 'id', 'position', 'position_id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM org_weeklyhours t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
    ]
