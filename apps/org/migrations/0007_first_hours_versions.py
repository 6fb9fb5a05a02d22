# Dated master data (DESIGN.md §7): each existing employee's contract hours and each existing
# position's weekly hours become their first version, valid from the hire / start date. The
# figures on the rows stay as they are: with one version they are the version in force.
from django.db import migrations

FIRST_VERSIONS = """
INSERT INTO org_contracthours (employee_id, valid_from, hours, note)
SELECT e.id, e.hire_date, e.contract_hours, 'first version (migrated)'
FROM org_employee e
WHERE NOT EXISTS (SELECT 1 FROM org_contracthours c WHERE c.employee_id = e.id);

INSERT INTO org_weeklyhours (position_id, valid_from, hours, note)
SELECT p.id, p.start_date, p.weekly_hours, 'first version (migrated)'
FROM org_position p
WHERE NOT EXISTS (SELECT 1 FROM org_weeklyhours w WHERE w.position_id = p.id);
"""


class Migration(migrations.Migration):
    dependencies = [("org", "0006_hours_versions")]

    operations = [
        # Backwards, 0006 drops the tables with the versions in them.
        migrations.RunSQL(FIRST_VERSIONS, reverse_sql=migrations.RunSQL.noop),
    ]
