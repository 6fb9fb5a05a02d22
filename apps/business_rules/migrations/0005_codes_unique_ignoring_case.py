"""Codes unique whatever their case (issue 16, item 9). Before the unique indexes on lower(code)
are built, existing codes that differ only in case are reported, every group of them, and the
migration stops: rename all but one of each group (in the admin), then migrate again.
"""

import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower

CHECKED = (("business_rules", "BusinessRule", "code"),)


def report_clashes(apps, schema_editor):
    clashes = []
    for app_label, model_name, field in CHECKED:
        model = apps.get_model(app_label, model_name)
        groups = (
            model.objects.annotate(key=Lower(field))
            .values("key")
            .annotate(n=models.Count("id"))
            .filter(n__gt=1)
        )
        for group in groups:
            same = model.objects.annotate(key=Lower(field)).filter(key=group["key"])
            values = sorted(same.values_list(field, flat=True))
            clashes.append(f"  {model_name}.{field}: {', '.join(values)}")
    if clashes:
        raise RuntimeError(
            "These codes differ only in case and must be made distinct before they can be "
            "unique ignoring case:\n" + "\n".join(clashes)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("business_rules", "0004_transitions_by_default"),
        ("org", "0010_codes_unique_ignoring_case"),
    ]

    operations = [
        migrations.RunPython(report_clashes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="businessrule",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("code"),
                name="businessrule_code_ci_unique",
                violation_error_code="unique",
                violation_error_message="A business rule with this code exists (codes ignore case).",
            ),
        ),
    ]
