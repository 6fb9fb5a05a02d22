"""Codes unique whatever their case (issue 16, item 9). Before the unique indexes on lower(code)
are built, existing codes that differ only in case are reported, every group of them, and the
migration stops: rename all but one of each group (in the admin), then migrate again.
"""

from django.conf import settings
import django.db.models.functions.text
from django.db import migrations, models
from django.db.models.functions import Lower

CHECKED = (
    ("org", "OrgUnit", "code"),
    ("org", "Position", "code"),
    ("org", "Employee", "employee_number"),
)


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
        ("org", "0009_scope_change_ends_sessions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(report_clashes, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="employee",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("employee_number"),
                name="employee_number_ci_unique",
                violation_error_code="unique",
                violation_error_message="An employee with this employee number exists (numbers ignore case).",
            ),
        ),
        migrations.AddConstraint(
            model_name="orgunit",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("code"),
                name="orgunit_code_ci_unique",
                violation_error_code="unique",
                violation_error_message="An org unit with this code exists (codes ignore case).",
            ),
        ),
        migrations.AddConstraint(
            model_name="position",
            constraint=models.UniqueConstraint(
                django.db.models.functions.text.Lower("code"),
                name="position_code_ci_unique",
                violation_error_code="unique",
                violation_error_message="A position with this code exists (codes ignore case).",
            ),
        ),
    ]
