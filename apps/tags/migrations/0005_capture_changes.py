"""Every create, update and delete of tags_employeetag, tags_positiontag, tags_tagcatalog is recorded in the change log
(coveris_capture, apps/core/migrations/0002_change_log.py); the rows there already are
recorded as created, so that the record starts complete.

The SQL is written out as it ran: a migration reads no live module.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tags", "0004_refuse_truncate"), ("core", "0002_change_log")]
    operations = [
        migrations.RunSQL(
            "CREATE TRIGGER tags_employeetag_capture AFTER INSERT OR UPDATE OR DELETE ON tags_employeetag FOR EACH ROW EXECUTE FUNCTION coveris_capture('employee_tag', 'id', 'employee', 'employee_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS tags_employeetag_capture ON tags_employeetag;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('employee_tag', 'id', 'employee', 'employee_id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM tags_employeetag t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TRIGGER tags_positiontag_capture AFTER INSERT OR UPDATE OR DELETE ON tags_positiontag FOR EACH ROW EXECUTE FUNCTION coveris_capture('position_tag', 'id', 'position', 'position_id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS tags_positiontag_capture ON tags_positiontag;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('position_tag', 'id', 'position', 'position_id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM tags_positiontag t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
        migrations.RunSQL(
            "CREATE TRIGGER tags_tagcatalog_capture AFTER INSERT OR UPDATE OR DELETE ON tags_tagcatalog FOR EACH ROW EXECUTE FUNCTION coveris_capture('tag', 'id', 'tag', 'id', 'updated_at', '', '');",
            "DROP TRIGGER IF EXISTS tags_tagcatalog_capture ON tags_tagcatalog;",
        ),
        migrations.RunSQL(
            "SELECT set_config('coveris.reason', 'recorded when change capture was installed', true); SELECT coveris_record_change('tag', 'id', 'tag', 'id', '{updated_at}'::text[], '', '', 'INSERT', NULL, to_jsonb(t)) FROM tags_tagcatalog t ORDER BY t.id;",
            migrations.RunSQL.noop,
        ),
    ]
