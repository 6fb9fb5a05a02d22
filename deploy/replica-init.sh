#!/usr/bin/env bash
# Entry point of the replica container: clone the primary once with pg_basebackup, then run as
# a hot standby that streams WAL from it.
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h db -U coveris; do sleep 1; done
  rm -rf "${PGDATA:?}"/*
  PGPASSWORD="$POSTGRES_PASSWORD" pg_basebackup -h db -U coveris -D "$PGDATA" -R -X stream -c fast
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on
