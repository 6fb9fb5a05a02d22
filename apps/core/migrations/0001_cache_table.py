"""The table behind Django's database cache (used when REDIS_URL is not set)."""

from django.db import migrations

CREATE = """
CREATE TABLE IF NOT EXISTS coveris_cache (
    cache_key varchar(255) NOT NULL PRIMARY KEY,
    value text NOT NULL,
    expires timestamp with time zone NOT NULL
);
CREATE INDEX IF NOT EXISTS coveris_cache_expires ON coveris_cache (expires);
"""


class Migration(migrations.Migration):
    initial = True
    dependencies: list[tuple[str, str]] = []
    operations = [migrations.RunSQL(CREATE, "DROP TABLE IF EXISTS coveris_cache;")]
