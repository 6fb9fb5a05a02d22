"""Per-unit thresholds of gap events, captured in the change log like all configuration."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0002_outbox"),
        ("org", "0012_position_closes_on_holidays"),
    ]

    operations = [
        migrations.CreateModel(
            name="GapThreshold",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("hours", models.DecimalField(decimal_places=2, max_digits=6)),
                (
                    "org_unit",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="org.orgunit",
                    ),
                ),
            ],
            options={
                "ordering": ("org_unit",),
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("hours__gt", 0)), name="gap_threshold_positive"
                    )
                ],
            },
        ),
        migrations.RunSQL(
            "CREATE TRIGGER events_gapthreshold_capture AFTER INSERT OR UPDATE OR DELETE"
            " ON events_gapthreshold FOR EACH ROW EXECUTE FUNCTION coveris_capture("
            "'gap_threshold', 'id', 'org_unit', 'org_unit_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS events_gapthreshold_capture ON events_gapthreshold;",
        ),
    ]
