"""The application's role, which owns no table (DESIGN §7, "nothing erased").

Migrations run as the owner of the tables; the served application connects as `coveris_app`,
which may read and write rows but, owning nothing, cannot ALTER a table, DISABLE its triggers or
TRUNCATE it. This migration creates the role when the migrating user may (the embedded
PostgreSQL of `make run` and `make test`; elsewhere a DBA creates it, docs/OPERATIONS.md) and
grants it the rows of every table, now and later (default privileges of the migrating owner),
except writing core_change, which only the capture trigger does.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations

APP_ROLE = """
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'coveris_app') THEN
        BEGIN
            CREATE ROLE coveris_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'coveris_app does not exist and % may not create it: see docs/OPERATIONS.md', current_user;
            RETURN;
        END;
    END IF;
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO coveris_app', current_database());
    GRANT USAGE ON SCHEMA public TO coveris_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO coveris_app;
    GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO coveris_app;
    -- Change rows are written by the capture trigger alone (it runs as the owner).
    REVOKE INSERT ON core_change FROM coveris_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public
        GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO coveris_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO coveris_app;
END
$$;
"""

REVOKE = """
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'coveris_app') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON TABLES FROM coveris_app;
        ALTER DEFAULT PRIVILEGES IN SCHEMA public REVOKE ALL ON SEQUENCES FROM coveris_app;
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM coveris_app;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM coveris_app;
        REVOKE USAGE ON SCHEMA public FROM coveris_app;
        EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM coveris_app', current_database());
    END IF;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0002_change_log")]
    operations = [migrations.RunSQL(APP_ROLE, REVOKE)]
