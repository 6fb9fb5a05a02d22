"""The SQL of the audit_log_entry view: one SELECT per log table, UNION ALL.

Every column is cast to the same type in every branch, so PostgreSQL flattens the union and
answers "newest first, one page" with a merge of index scans on each table's `at` instead of
sorting every row.
"""

EMPLOYEE_TRANSITIONS = """
SELECT ('employee_transition:' || l.id)::text AS uid, 'employee_transition'::text AS source,
       l.id::bigint AS source_id, 'employee'::text AS entity_type,
       l.subject_id::bigint AS entity_id, l.transition::text AS transition,
       l.from_state::text AS from_state, l.to_state::text AS to_state,
       l.actor_id::bigint AS actor_id, l.at, l.reason::text AS reason,
       l.request_id::text AS request_id, l.metadata, l.prev_hash::text AS prev_hash,
       l.hash::text AS hash
FROM fsm_employeetransitionlog l
"""

ASSIGNMENT_TRANSITIONS = """
SELECT ('assignment_transition:' || l.id)::text, 'assignment_transition'::text, l.id::bigint,
       'assignment'::text, l.subject_id::bigint, l.transition::text,
       l.from_state::text, l.to_state::text, l.actor_id::bigint, l.at, l.reason::text,
       l.request_id::text, l.metadata, l.prev_hash::text, l.hash::text
FROM assignments_assignmenttransitionlog l
"""

LEDGER_ENTRIES = """
SELECT ('ledger_entry:' || l.id)::text, 'ledger_entry'::text, l.id::bigint,
       'employee'::text, l.employee_id::bigint, ('ledger.' || l.kind)::text, ''::text,
       (l.hours_per_week::text || ' h/week ' || l.start_date::text || '..'
        || l.end_date::text)::text,
       l.actor_id::bigint, l.at, COALESCE(NULLIF(l.note, ''), l.reason)::text,
       l.request_id::text, l.metadata || jsonb_build_object('reverses', l.reverses_id),
       l.prev_hash::text, l.hash::text
FROM offer_ledgerentry l
"""

TAG_CHANGES = """
SELECT ('tag_change:' || l.id)::text, 'tag_change'::text, l.id::bigint,
       l.subject_type::text, l.subject_id::bigint, ('tag.' || l.action)::text,
       COALESCE(l.before::text, '')::text, COALESCE(l.after::text, '')::text,
       l.actor_id::bigint, l.at, l.reason::text, l.request_id::text,
       l.metadata || jsonb_build_object('tag', COALESCE(l.after, l.before) -> 'code'),
       l.prev_hash::text, l.hash::text
FROM tags_tagchangelog l
"""

# Version 0004 joined the catalogue for the tag's code; the snapshots carry it, and a join in
# one branch stops PostgreSQL from merging the branches' index scans.
TYPED_TAG_CHANGES_WITH_JOIN = """
SELECT ('tag_change:' || l.id)::text, 'tag_change'::text, l.id::bigint,
       l.subject_type::text, l.subject_id::bigint, ('tag.' || l.action)::text,
       COALESCE(l.before::text, '')::text, COALESCE(l.after::text, '')::text,
       l.actor_id::bigint, l.at, l.reason::text, l.request_id::text,
       l.metadata || jsonb_build_object('tag', t.code), l.prev_hash::text, l.hash::text
FROM tags_tagchangelog l JOIN tags_tagcatalog t ON t.id = l.tag_id
"""

# Older versions, kept verbatim for the migrations that created them.
LEGACY_EMPLOYEE_TRANSITIONS = """
SELECT 'employee_transition:' || l.id AS uid, 'employee_transition' AS source, l.id AS source_id,
       'employee' AS entity_type, l.subject_id AS entity_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM fsm_employeetransitionlog l
"""

LEGACY_ASSIGNMENT_TRANSITIONS = """
SELECT 'assignment_transition:' || l.id, 'assignment_transition', l.id,
       'assignment', l.subject_id, l.transition,
       l.from_state, l.to_state, l.actor_id, l.at, l.reason, l.request_id, l.metadata,
       l.prev_hash, l.hash
FROM assignments_assignmenttransitionlog l
"""

LEGACY_LEDGER_ENTRIES = """
SELECT 'ledger_entry:' || l.id, 'ledger_entry', l.id,
       'employee', l.employee_id, 'ledger.' || l.kind,
       '', l.hours_per_week::text || ' h/week ' || l.start_date::text || '..' || l.end_date::text,
       l.actor_id, l.at, COALESCE(NULLIF(l.note, ''), l.reason), l.request_id,
       l.metadata || jsonb_build_object('reverses', l.reverses_id),
       l.prev_hash, l.hash
FROM offer_ledgerentry l
"""

LEGACY_TAG_CHANGES = """
SELECT 'tag_change:' || l.id, 'tag_change', l.id,
       l.subject_type, l.subject_id, 'tag.' || l.action,
       COALESCE(l.before::text, ''), COALESCE(l.after::text, ''),
       l.actor_id, l.at, l.reason, l.request_id,
       l.metadata || jsonb_build_object('tag', t.code),
       l.prev_hash, l.hash
FROM tags_tagchangelog l JOIN tags_tagcatalog t ON t.id = l.tag_id
"""


def view_sql(*selects: str) -> str:
    """The view over the given SELECTs (dropped first: column types may change)."""
    return (
        "DROP VIEW IF EXISTS audit_log_entry;\nCREATE VIEW audit_log_entry AS\n"
        + "\nUNION ALL\n".join(selects)
        + ";"
    )
