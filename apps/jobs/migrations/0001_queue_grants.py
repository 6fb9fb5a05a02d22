"""The application's role may use the task queue's tables (procrastinate's migrations may run
before or after apps/core/migrations/0003_app_role.py sets the default privileges).

The SQL is written out as it ran: a migration reads no live module."""

from django.db import migrations

GRANTS = """
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'coveris_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO coveris_app;
        GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO coveris_app;
        REVOKE INSERT ON core_change FROM coveris_app;
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_app_role"),
        ("procrastinate", "0041_post_retry_failed_job"),
    ]

    operations = [migrations.RunSQL(GRANTS, migrations.RunSQL.noop)]
