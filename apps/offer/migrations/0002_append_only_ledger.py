"""The database itself refuses UPDATE and DELETE on the hours ledger (append-only)."""

from django.db import migrations

from apps.fsm.db import append_only


class Migration(migrations.Migration):
    dependencies = [("offer", "0001_initial"), ("fsm", "0003_append_only_triggers")]
    operations = [append_only("offer_ledgerentry")]
