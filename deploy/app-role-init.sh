#!/usr/bin/env bash
# Run once by the postgres image on a new data directory (/docker-entrypoint-initdb.d): the
# application's login role, which owns no table. The `migrate` service (connected as the owner,
# POSTGRES_USER) grants it the rows of every table (apps/core/migrations/0003_app_role.py); the
# app connects as it, so it cannot disable a trigger or truncate a log. docs/OPERATIONS.md.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="${APP_DB_PASSWORD:?set APP_DB_PASSWORD}" <<'SQL'
CREATE ROLE coveris_app LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS
  PASSWORD :'app_password';
SQL
