# The manager scope (ManagerScope and User.scope) moves to the org app (apps.org.models), whose
# concept it is. State only: the table is renamed by org.0005_manager_scope.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="user", name="scope"),
                migrations.DeleteModel(name="ManagerScope"),
            ],
        ),
    ]
