"""The database itself refuses UPDATE and DELETE on the tag change log (append-only)."""

from django.db import migrations

from apps.fsm.db import append_only


class Migration(migrations.Migration):
    dependencies = [("tags", "0001_initial"), ("fsm", "0003_append_only_triggers")]
    operations = [append_only("tags_tagchangelog")]
