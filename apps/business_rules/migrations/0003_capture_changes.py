"""Every create, update and delete of business_rules_businessrule is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py); the rows there already are
recorded as created, so that the record starts complete.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("business_rules", "0002_default_rules"), ("core", "0002_change_log")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER business_rules_businessrule_capture AFTER INSERT OR UPDATE OR DELETE ON business_rules_businessrule FOR EACH ROW EXECUTE FUNCTION coveris_capture('business_rule', 'id', 'business_rule', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS business_rules_businessrule_capture ON business_rules_businessrule;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('business_rule', 'id', 'business_rule', 'id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM business_rules_businessrule t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
    ]
