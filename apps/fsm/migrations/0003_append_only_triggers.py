"""The database itself refuses UPDATE and DELETE on the employee log (append-only).

The SQL is written out as it ran: a migration reads no live module, so that changing one
later cannot change what this migration did.
"""

from django.db import migrations

# The trigger function every append-only table uses.
REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION coveris_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("fsm", "0002_initial")]
    operations = [
        migrations.RunSQL(REFUSE_FUNCTION, "DROP FUNCTION IF EXISTS coveris_refuse_log_change();"),
        migrations.RunSQL(
            "CREATE TRIGGER fsm_employeetransitionlog_append_only BEFORE UPDATE OR DELETE ON fsm_employeetransitionlog FOR EACH ROW EXECUTE FUNCTION coveris_refuse_log_change();",
            "DROP TRIGGER IF EXISTS fsm_employeetransitionlog_append_only ON fsm_employeetransitionlog;",
        ),
    ]
