"""Tag changes join the audit_log_entry view.

The SQL is written out as it ran, not read from apps.audit_log.sql: a later change to the
live view must not change what this migration did.
"""

from django.db import migrations

VIEW = """DROP VIEW IF EXISTS audit_log_entry;
CREATE VIEW audit_log_entry AS

SELECT 'employee_transition:' || l.id AS uid, 'employee_transition' AS source, l.id AS source_id,
       'employee' AS entity_type, l.subject_id AS entity_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM fsm_employeetransitionlog l

UNION ALL

SELECT 'assignment_transition:' || l.id, 'assignment_transition', l.id,
       'assignment', l.subject_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM assignments_assignmenttransitionlog l

UNION ALL

SELECT 'ledger_entry:' || l.id, 'ledger_entry', l.id,
       'employee', l.employee_id, 'ledger.' || l.kind,
       '', l.hours_per_week::text || ' h/week ' || l.start_date::text || '..' || l.end_date::text,
       l.actor_id, l.at, COALESCE(NULLIF(l.note, ''), l.reason), l.request_id,
       l.metadata || jsonb_build_object('reverses', l.reverses_id),
       l.prev_hash, l.hash
FROM offer_ledgerentry l

UNION ALL

SELECT 'tag_change:' || l.id, 'tag_change', l.id,
       l.subject_type, l.subject_id, 'tag.' || l.action,
       COALESCE(l.before::text, ''), COALESCE(l.after::text, ''),
       l.actor_id, l.at, l.reason, l.request_id,
       l.metadata || jsonb_build_object('tag', t.code),
       l.prev_hash, l.hash
FROM tags_tagchangelog l JOIN tags_tagcatalog t ON t.id = l.tag_id
;"""

# The view of 0001_audit_view, restored on the way back.
PREVIOUS_VIEW = """DROP VIEW IF EXISTS audit_log_entry;
CREATE VIEW audit_log_entry AS

SELECT 'employee_transition:' || l.id AS uid, 'employee_transition' AS source, l.id AS source_id,
       'employee' AS entity_type, l.subject_id AS entity_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM fsm_employeetransitionlog l

UNION ALL

SELECT 'assignment_transition:' || l.id, 'assignment_transition', l.id,
       'assignment', l.subject_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM assignments_assignmenttransitionlog l

UNION ALL

SELECT 'ledger_entry:' || l.id, 'ledger_entry', l.id,
       'employee', l.employee_id, 'ledger.' || l.kind,
       '', l.hours_per_week::text || ' h/week ' || l.start_date::text || '..' || l.end_date::text,
       l.actor_id, l.at, COALESCE(NULLIF(l.note, ''), l.reason), l.request_id,
       l.metadata || jsonb_build_object('reverses', l.reverses_id),
       l.prev_hash, l.hash
FROM offer_ledgerentry l
;"""


class Migration(migrations.Migration):
    dependencies = [("audit_log", "0002_initial"), ("tags", "0002_append_only_tag_log")]
    operations = [migrations.RunSQL(VIEW, PREVIOUS_VIEW)]
