"""The database itself refuses UPDATE and DELETE on log tables (append-only)."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION coveris_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def protect(table: str) -> migrations.RunSQL:
    """A migration operation that makes `table` append-only."""
    return migrations.RunSQL(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION coveris_refuse_log_change();",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
    )


class Migration(migrations.Migration):
    dependencies = [("fsm", "0002_initial")]
    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS coveris_refuse_log_change();"),
        protect("fsm_employeetransitionlog"),
    ]
