"""The leave log joins the audit view (a `leave_transition` branch: the transitions of leave
requests, under the request's history), and it refuses rows dated in the future like every log.

The SQL is written out as it ran, not read from apps.audit_log.sql: a later change to the
live view must not change what this migration did.
"""

from django.db import migrations

VIEW = """DROP VIEW IF EXISTS audit_log_entry;
CREATE VIEW audit_log_entry AS

SELECT ('employee_transition:' || l.id)::text AS uid, 'employee_transition'::text AS source,
       l.id::bigint AS source_id, 'employee'::text AS entity_type,
       l.subject_id::bigint AS entity_id, l.transition::text AS transition,
       l.from_state::text AS from_state, l.to_state::text AS to_state,
       l.actor_id::bigint AS actor_id, l.at, l.reason::text AS reason,
       l.request_id::text AS request_id, l.metadata, l.prev_hash::text AS prev_hash,
       l.hash::text AS hash, 'transition'::text AS action, '{}'::jsonb AS changes,
       'employee'::text AS subject_type, l.subject_id::bigint AS subject_id
FROM fsm_employeetransitionlog l

UNION ALL

SELECT ('assignment_transition:' || l.id)::text, 'assignment_transition'::text, l.id::bigint,
       'assignment'::text, l.subject_id::bigint, l.transition::text,
       l.from_state::text, l.to_state::text, l.actor_id::bigint, l.at, l.reason::text,
       l.request_id::text, l.metadata, l.prev_hash::text, l.hash::text, 'transition'::text,
       '{}'::jsonb, 'assignment'::text, l.subject_id::bigint
FROM assignments_assignmenttransitionlog l

UNION ALL

SELECT ('leave_transition:' || l.id)::text, 'leave_transition'::text, l.id::bigint,
       'leave_request'::text, l.subject_id::bigint, l.transition::text,
       l.from_state::text, l.to_state::text, l.actor_id::bigint, l.at, l.reason::text,
       l.request_id::text, l.metadata, l.prev_hash::text, l.hash::text, 'transition'::text,
       '{}'::jsonb, 'leave_request'::text, l.subject_id::bigint
FROM leave_leavetransitionlog l

UNION ALL

SELECT ('ledger_entry:' || l.id)::text, 'ledger_entry'::text, l.id::bigint,
       'employee'::text, l.employee_id::bigint, ('ledger.' || l.kind)::text, ''::text,
       (l.hours_per_week::text || ' h/week ' || l.start_date::text || '..'
        || l.end_date::text)::text,
       l.actor_id::bigint, l.at, COALESCE(NULLIF(l.note, ''), l.reason)::text,
       l.request_id::text, l.metadata || jsonb_build_object('reverses', l.reverses_id),
       l.prev_hash::text, l.hash::text, 'transition'::text, '{}'::jsonb,
       'employee'::text, l.employee_id::bigint
FROM offer_ledgerentry l

UNION ALL

SELECT ('tag_change:' || l.id)::text, 'tag_change'::text, l.id::bigint,
       l.subject_type::text, l.subject_id::bigint, ('tag.' || l.action)::text,
       COALESCE(l.before::text, '')::text, COALESCE(l.after::text, '')::text,
       l.actor_id::bigint, l.at, l.reason::text, l.request_id::text,
       l.metadata || jsonb_build_object('tag', COALESCE(l.after, l.before) -> 'code'),
       l.prev_hash::text, l.hash::text, 'transition'::text, '{}'::jsonb,
       l.subject_type::text, l.subject_id::bigint
FROM tags_tagchangelog l

UNION ALL

SELECT ('change:' || c.id)::text, 'change'::text, c.id::bigint, c.entity_type::text,
       c.entity_id::bigint, (c.entity_type || '.' || c.action)::text, ''::text, ''::text,
       c.actor_id::bigint, c.at, c.reason::text, c.request_id::text, '{}'::jsonb,
       c.prev_hash::text, c.hash::text, c.action::text, c.changes, c.subject_type::text,
       c.subject_id::bigint
FROM core_change c
;"""


class Migration(migrations.Migration):
    dependencies = [("audit_log", "0008_no_future_rows"), ("leave", "0002_record")]
    operations = [
        migrations.RunSQL(VIEW, migrations.RunSQL.noop),
        migrations.RunSQL(
            "CREATE TRIGGER leave_leavetransitionlog_not_in_future BEFORE INSERT"
            " ON leave_leavetransitionlog FOR EACH ROW EXECUTE FUNCTION coveris_refuse_future();",
            "DROP TRIGGER IF EXISTS leave_leavetransitionlog_not_in_future"
            " ON leave_leavetransitionlog;",
        ),
    ]
