"""Recorded times come from the database clock: every log table refuses a row dated after the
database's now (HashChainedLog.append dates rows with clock_timestamp(); core_change's trigger
does too). A backdated row (the demo's history) is allowed: it is chained like any other.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION coveris_refuse_future() RETURNS trigger AS $$
BEGIN
    IF NEW.at > clock_timestamp() THEN
        RAISE EXCEPTION 'the table % refuses a row dated in the future (%)', TG_TABLE_NAME, NEW.at
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

TABLES = (
    "fsm_employeetransitionlog",
    "assignments_assignmenttransitionlog",
    "offer_ledgerentry",
    "tags_tagchangelog",
    "core_change",
)


class Migration(migrations.Migration):
    dependencies = [("audit_log", "0007_changes_in_view")]
    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS coveris_refuse_future();"),
        *(
            migrations.RunSQL(
                f"CREATE TRIGGER {table}_not_in_future BEFORE INSERT ON {table}"
                " FOR EACH ROW EXECUTE FUNCTION coveris_refuse_future();",
                f"DROP TRIGGER IF EXISTS {table}_not_in_future ON {table};",
            )
            for table in TABLES
        ),
    ]
