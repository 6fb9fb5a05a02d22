"""The coverage data version (apps.core.versions, DESIGN §12): every table the coverage SQL
reads (apps/demand/selectors.py, COVERAGE_TABLES; tests/demand/test_result_cache.py checks the
two lists agree) marks a writing transaction dirty and replaces a slot of the `coverage`
version as it commits, so a coverage or summary result kept under the version is right exactly
as long as the version is current. TRUNCATE bumps nothing: no table here may be truncated by
the application (the logs refuse it; a test's flush empties core_dataversion too, and a result
is never kept while a name has no slot). The SQL is written out as it ran.
"""

from django.db import migrations

CREATE = """
CREATE TRIGGER assignments_assignment_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON assignments_assignment FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER assignments_assignment_coverage_version AFTER INSERT OR UPDATE OR DELETE ON assignments_assignment DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER calendars_calendarday_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON calendars_calendarday FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER calendars_calendarday_coverage_version AFTER INSERT OR UPDATE OR DELETE ON calendars_calendarday DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER calendars_workcalendar_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON calendars_workcalendar FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER calendars_workcalendar_coverage_version AFTER INSERT OR UPDATE OR DELETE ON calendars_workcalendar DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER demand_coveragerequirement_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON demand_coveragerequirement FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER demand_coveragerequirement_coverage_version AFTER INSERT OR UPDATE OR DELETE ON demand_coveragerequirement DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER offer_ledgerentry_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON offer_ledgerentry FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER offer_ledgerentry_coverage_version AFTER INSERT OR UPDATE OR DELETE ON offer_ledgerentry DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER org_contracthours_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON org_contracthours FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER org_contracthours_coverage_version AFTER INSERT OR UPDATE OR DELETE ON org_contracthours DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER org_employee_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON org_employee FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER org_employee_coverage_version AFTER INSERT OR UPDATE OR DELETE ON org_employee DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER org_orgunit_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON org_orgunit FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER org_orgunit_coverage_version AFTER INSERT OR UPDATE OR DELETE ON org_orgunit DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER org_position_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON org_position FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER org_position_coverage_version AFTER INSERT OR UPDATE OR DELETE ON org_position DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
CREATE TRIGGER org_weeklyhours_coverage_dirty AFTER INSERT OR UPDATE OR DELETE ON org_weeklyhours FOR EACH STATEMENT EXECUTE FUNCTION coveris_version_dirty('coverage');
CREATE CONSTRAINT TRIGGER org_weeklyhours_coverage_version AFTER INSERT OR UPDATE OR DELETE ON org_weeklyhours DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (current_setting('coveris.dirty_coverage', true) IS DISTINCT FROM 'on') EXECUTE FUNCTION coveris_version_bump('coverage');
"""

DROP = """
DROP TRIGGER IF EXISTS assignments_assignment_coverage_version ON assignments_assignment; DROP TRIGGER IF EXISTS assignments_assignment_coverage_dirty ON assignments_assignment;
DROP TRIGGER IF EXISTS calendars_calendarday_coverage_version ON calendars_calendarday; DROP TRIGGER IF EXISTS calendars_calendarday_coverage_dirty ON calendars_calendarday;
DROP TRIGGER IF EXISTS calendars_workcalendar_coverage_version ON calendars_workcalendar; DROP TRIGGER IF EXISTS calendars_workcalendar_coverage_dirty ON calendars_workcalendar;
DROP TRIGGER IF EXISTS demand_coveragerequirement_coverage_version ON demand_coveragerequirement; DROP TRIGGER IF EXISTS demand_coveragerequirement_coverage_dirty ON demand_coveragerequirement;
DROP TRIGGER IF EXISTS offer_ledgerentry_coverage_version ON offer_ledgerentry; DROP TRIGGER IF EXISTS offer_ledgerentry_coverage_dirty ON offer_ledgerentry;
DROP TRIGGER IF EXISTS org_contracthours_coverage_version ON org_contracthours; DROP TRIGGER IF EXISTS org_contracthours_coverage_dirty ON org_contracthours;
DROP TRIGGER IF EXISTS org_employee_coverage_version ON org_employee; DROP TRIGGER IF EXISTS org_employee_coverage_dirty ON org_employee;
DROP TRIGGER IF EXISTS org_orgunit_coverage_version ON org_orgunit; DROP TRIGGER IF EXISTS org_orgunit_coverage_dirty ON org_orgunit;
DROP TRIGGER IF EXISTS org_position_coverage_version ON org_position; DROP TRIGGER IF EXISTS org_position_coverage_dirty ON org_position;
DROP TRIGGER IF EXISTS org_weeklyhours_coverage_version ON org_weeklyhours; DROP TRIGGER IF EXISTS org_weeklyhours_coverage_dirty ON org_weeklyhours;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0005_data_version"),
        ("demand", "0004_capture_changes"),
        ("assignments", "0005_capture_changes"),
        ("calendars", "0002_week_check_and_capture"),
        ("offer", "0004_refuse_truncate"),
        ("org", "0012_position_closes_on_holidays"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
