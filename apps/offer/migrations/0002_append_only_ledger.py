"""The database itself refuses UPDATE and DELETE on the hours ledger (append-only).

The SQL is written out as it ran: a migration reads no live module, so that changing one
later cannot change what this migration did.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("offer", "0001_initial"), ("fsm", "0003_append_only_triggers")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER offer_ledgerentry_append_only BEFORE UPDATE OR DELETE ON offer_ledgerentry FOR EACH ROW EXECUTE FUNCTION coveris_refuse_log_change();",
            "DROP TRIGGER IF EXISTS offer_ledgerentry_append_only ON offer_ledgerentry;",
        ),
    ]
