"""Every create, update and delete of users_user is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py).

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
    ]
