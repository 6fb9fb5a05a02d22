"""Working calendars: each calendar's week is seven days of 0-24 hours (a CHECK the ORM cannot
spell), and every create, update and delete of calendars_workcalendar and calendars_calendarday
is recorded in the change log (coveris_capture, apps/core/migrations/0002_change_log.py).

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("calendars", "0001_initial"), ("core", "0002_change_log")]
    operations = [
        migrations.RunSQL(
            "ALTER TABLE calendars_workcalendar ADD CONSTRAINT workcalendar_week_of_7_days"
            " CHECK (array_length(week_hours, 1) = 7 AND 0 <= ALL(week_hours)"
            " AND 24 >= ALL(week_hours));",
            "ALTER TABLE calendars_workcalendar DROP CONSTRAINT workcalendar_week_of_7_days;",
        ),
        migrations.RunSQL(
            "CREATE TRIGGER calendars_workcalendar_capture AFTER INSERT OR UPDATE OR DELETE ON calendars_workcalendar FOR EACH ROW EXECUTE FUNCTION coveris_capture('work_calendar', 'id', 'work_calendar', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS calendars_workcalendar_capture ON calendars_workcalendar;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('work_calendar', 'id', 'work_calendar', 'id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM calendars_workcalendar t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TRIGGER calendars_calendarday_capture AFTER INSERT OR UPDATE OR DELETE ON calendars_calendarday FOR EACH ROW EXECUTE FUNCTION coveris_capture('calendar_day', 'id', 'work_calendar', 'calendar_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS calendars_calendarday_capture ON calendars_calendarday;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('calendar_day', 'id', 'work_calendar', 'calendar_id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM calendars_calendarday t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
    ]
