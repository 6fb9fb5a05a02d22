"""A manager's scope change ends their sessions: every outstanding refresh token is blacklisted
(coveris_end_sessions, users/migrations/0005_sessions_end.py), whoever changes the scope.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION coveris_scope_sessions_end() RETURNS trigger AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM coveris_end_sessions(OLD.user_id); END IF;
    IF TG_OP <> 'DELETE' THEN PERFORM coveris_end_sessions(NEW.user_id); END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    dependencies = [("org", "0008_capture_changes"), ("users", "0005_sessions_end")]
    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS coveris_scope_sessions_end();"),
        migrations.RunSQL(
            "CREATE TRIGGER org_managerscope_sessions_end AFTER INSERT OR UPDATE OR DELETE"
            " ON org_managerscope FOR EACH ROW EXECUTE FUNCTION coveris_scope_sessions_end();",
            "DROP TRIGGER IF EXISTS org_managerscope_sessions_end ON org_managerscope;",
        ),
    ]
