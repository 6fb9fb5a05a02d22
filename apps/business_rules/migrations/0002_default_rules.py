"""The rules a sensible organisation starts with (HR admins change them in the admin)."""

from django.db import migrations

DEFAULT_RULES = [
    # code, name, kind, params, severity, enabled, transitions
    (
        "max-48-hours",
        "At most 48 hours a week (working-time directive)",
        "max_weekly_hours",
        {"max_hours": "48.00"},
        "error",
        True,
        ["approve", "activate"],
    ),
    (
        "no-overcommit",
        "Nobody is assigned beyond their available hours",
        "no_overcommit",
        {},
        "error",
        True,
        ["approve", "activate"],
    ),
    (
        "required-tags",
        "Employees hold the skills their position requires",
        "required_tags",
        {},
        "error",
        True,
        ["approve", "activate"],
    ),
    (
        "employee-available",
        "Only onboarding, active or on-leave employees are approved",
        "allowed_employee_states",
        {"states": ["onboarding", "active", "on_leave"]},
        "error",
        True,
        ["approve"],
    ),
    (
        "employee-active-to-start",
        "Only active employees start an assignment",
        "allowed_employee_states",
        {"states": ["active"]},
        "error",
        True,
        ["activate"],
    ),
    (
        "position-capacity",
        "Positions are not staffed beyond demand + 10 %",
        "position_capacity",
        {"tolerance": "0.10"},
        "warning",
        True,
        ["approve", "activate"],
    ),
    (
        "max-3-assignments",
        "At most three assignments at once",
        "max_concurrent_assignments",
        {"max": 3},
        "warning",
        False,
        ["approve"],
    ),
]


def create(apps, schema_editor):
    BusinessRule = apps.get_model("business_rules", "BusinessRule")
    for code, name, kind, params, severity, enabled, transitions in DEFAULT_RULES:
        BusinessRule.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "kind": kind,
                "params": params,
                "severity": severity,
                "enabled": enabled,
                "transitions": transitions,
            },
        )


def remove(apps, schema_editor):
    BusinessRule = apps.get_model("business_rules", "BusinessRule")
    BusinessRule.objects.filter(code__in=[r[0] for r in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("business_rules", "0001_initial")]
    operations = [migrations.RunPython(create, remove)]
