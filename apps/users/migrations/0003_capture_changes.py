"""Every create, update and delete of users_user is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py); the rows there already are
recorded as created, so that the record starts complete.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("users", "0002_manager_scope_moves_to_org"), ("core", "0002_change_log")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER users_user_capture AFTER INSERT OR UPDATE OR DELETE ON users_user FOR EACH ROW EXECUTE FUNCTION coveris_capture('user', 'id', 'user', 'id', 'updated_at,password,last_login', '', '');",
            "DROP TRIGGER IF EXISTS users_user_capture ON users_user;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('user', 'id', 'user', 'id', '{updated_at,password,last_login}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM users_user t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
    ]
