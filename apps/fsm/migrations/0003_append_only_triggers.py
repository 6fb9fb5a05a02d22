"""The database itself refuses UPDATE and DELETE on the employee log (append-only)."""

from django.db import migrations

from apps.fsm.db import append_only, create_refuse_function


class Migration(migrations.Migration):
    dependencies = [("fsm", "0002_initial")]
    operations = [create_refuse_function(), append_only("fsm_employeetransitionlog")]
