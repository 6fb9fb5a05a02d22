"""Database-level protection of log tables, for migrations: UPDATE and DELETE are refused."""

from django.db import migrations

REFUSE_FUNCTION = """
CREATE OR REPLACE FUNCTION coveris_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def create_refuse_function() -> migrations.RunSQL:
    """The trigger function every append-only table uses."""
    return migrations.RunSQL(
        REFUSE_FUNCTION, "DROP FUNCTION IF EXISTS coveris_refuse_log_change();"
    )


def append_only(table: str) -> migrations.RunSQL:
    """A migration operation that makes `table` append-only."""
    return migrations.RunSQL(
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION coveris_refuse_log_change();",
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};",
    )
