"""The leave log is append-only (the database refuses UPDATE, DELETE and TRUNCATE), and every
create, update and delete of a leave request or entitlement is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py).
The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("leave", "0001_initial"),
        ("fsm", "0004_refuse_truncate"),
        ("core", "0002_change_log"),
    ]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER leave_leavetransitionlog_append_only BEFORE UPDATE OR DELETE"
            " ON leave_leavetransitionlog FOR EACH ROW EXECUTE FUNCTION coveris_refuse_log_change();"
            " CREATE TRIGGER leave_leavetransitionlog_no_truncate BEFORE TRUNCATE"
            " ON leave_leavetransitionlog FOR EACH STATEMENT"
            " EXECUTE FUNCTION coveris_refuse_log_change();",
            "DROP TRIGGER IF EXISTS leave_leavetransitionlog_append_only ON leave_leavetransitionlog;"
            " DROP TRIGGER IF EXISTS leave_leavetransitionlog_no_truncate ON leave_leavetransitionlog;",
        ),
        migrations.RunSQL(
            "CREATE TRIGGER leave_leaverequest_capture AFTER INSERT OR UPDATE OR DELETE"
            " ON leave_leaverequest FOR EACH ROW EXECUTE FUNCTION coveris_capture("
            "'leave_request', 'id', 'leave_request', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS leave_leaverequest_capture ON leave_leaverequest;",
        ),
        migrations.RunSQL(
            "CREATE TRIGGER leave_leaveentitlement_capture AFTER INSERT OR UPDATE OR DELETE"
            " ON leave_leaveentitlement FOR EACH ROW EXECUTE FUNCTION coveris_capture("
            "'leave_entitlement', 'id', 'employee', 'employee_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS leave_leaveentitlement_capture ON leave_leaveentitlement;",
        ),
    ]
