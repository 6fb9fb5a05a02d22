"""The SQL of the audit_log_entry view: one SELECT per log table, UNION ALL."""

EMPLOYEE_TRANSITIONS = """
SELECT 'employee_transition:' || l.id AS uid, 'employee_transition' AS source, l.id AS source_id,
       'employee' AS entity_type, l.subject_id AS entity_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM fsm_employeetransitionlog l
"""

ASSIGNMENT_TRANSITIONS = """
SELECT 'assignment_transition:' || l.id, 'assignment_transition', l.id,
       'assignment', l.subject_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM assignments_assignmenttransitionlog l
"""

LEDGER_ENTRIES = """
SELECT 'ledger_entry:' || l.id, 'ledger_entry', l.id,
       'employee', l.employee_id, 'ledger.' || l.kind,
       '', l.hours_per_week::text || ' h/week ' || l.start_date::text || '..' || l.end_date::text,
       l.actor_id, l.at, COALESCE(NULLIF(l.note, ''), l.reason), l.request_id,
       l.metadata || jsonb_build_object('reverses', l.reverses_id),
       l.prev_hash, l.hash
FROM offer_ledgerentry l
"""


def view_sql(*selects: str) -> str:
    """CREATE OR REPLACE VIEW over the given SELECTs."""
    return "CREATE OR REPLACE VIEW audit_log_entry AS\n" + "\nUNION ALL\n".join(selects) + ";"

TAG_CHANGES = """
SELECT 'tag_change:' || l.id, 'tag_change', l.id,
       l.subject_type, l.subject_id, 'tag.' || l.action,
       COALESCE(l.before::text, ''), COALESCE(l.after::text, ''),
       l.actor_id, l.at, l.reason, l.request_id,
       l.metadata || jsonb_build_object('tag', t.code),
       l.prev_hash, l.hash
FROM tags_tagchangelog l JOIN tags_tagcatalog t ON t.id = l.tag_id
"""
