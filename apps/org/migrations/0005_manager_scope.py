# The manager scope, moved here from the users app (users.0002): the same rows, in a table
# renamed after its new app.
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0004_date_range_constraints"),
        ("users", "0002_manager_scope_moves_to_org"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ManagerScope",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "org_unit",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="+",
                                to="org.orgunit",
                            ),
                        ),
                        (
                            "user",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="scope_links",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("user", "org_unit"), name="unique_manager_scope"
                            )
                        ],
                    },
                ),
                migrations.AddField(
                    model_name="orgunit",
                    name="managers",
                    field=models.ManyToManyField(
                        blank=True,
                        help_text="Managers see and change what belongs to these units and their subtrees.",
                        related_name="scope",
                        through="org.ManagerScope",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE users_managerscope RENAME TO org_managerscope",
                    reverse_sql="ALTER TABLE org_managerscope RENAME TO users_managerscope",
                ),
            ],
        ),
    ]
