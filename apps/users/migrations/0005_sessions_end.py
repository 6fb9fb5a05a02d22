"""Sessions end when they must (issue 16, item 3): when an account's password or role changes,
or it is deactivated, every outstanding refresh token it holds is blacklisted, by the database
itself, so that no path (the API, the admin's password form, `changepassword`, a command, raw
SQL) can change them and leave a stolen refresh token rotating. A manager's scope change does
the same (org/migrations/0009_scope_change_ends_sessions.py).

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations

FUNCTIONS = """
CREATE OR REPLACE FUNCTION coveris_end_sessions(p_user bigint) RETURNS void AS $$
    INSERT INTO token_blacklist_blacklistedtoken (token_id, blacklisted_at)
    SELECT o.id, clock_timestamp() FROM token_blacklist_outstandingtoken o
     WHERE o.user_id = p_user
       AND NOT EXISTS (SELECT 1 FROM token_blacklist_blacklistedtoken b WHERE b.token_id = o.id);
$$ LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp;

CREATE OR REPLACE FUNCTION coveris_user_sessions_end() RETURNS trigger AS $$
BEGIN
    PERFORM coveris_end_sessions(NEW.id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""

TRIGGER = """
CREATE TRIGGER users_user_sessions_end AFTER UPDATE ON users_user FOR EACH ROW
WHEN (OLD.password IS DISTINCT FROM NEW.password OR OLD.role IS DISTINCT FROM NEW.role
      OR (OLD.is_active AND NOT NEW.is_active))
EXECUTE FUNCTION coveris_user_sessions_end();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0004_user_updated_at"),
        ("token_blacklist", "0013_alter_blacklistedtoken_options_and_more"),
    ]
    operations = [
        migrations.RunSQL(
            FUNCTIONS,
            "DROP FUNCTION IF EXISTS coveris_user_sessions_end();"
            " DROP FUNCTION IF EXISTS coveris_end_sessions(bigint);",
        ),
        migrations.RunSQL(TRIGGER, "DROP TRIGGER IF EXISTS users_user_sessions_end ON users_user;"),
    ]
