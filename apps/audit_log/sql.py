"""The SQL of the audit_log_entry view: one SELECT per log table, UNION ALL.

This module is the live definition of the view; the migrations hold, written out, the SQL each
of them ran. To change the view, change it here and add a migration that runs the text of
`view_sql()` (tests/audit_log/test_sql.py fails while the migrated view differs from it).

Every column is cast to the same type in every branch, so PostgreSQL flattens the union and
answers "newest first, one page" with a merge of index scans on each table's `at` instead of
sorting every row.
"""

from __future__ import annotations

from apps.audit_log.models import EntityType

EMPLOYEE_TRANSITIONS = f"""
SELECT ('employee_transition:' || l.id)::text AS uid, 'employee_transition'::text AS source,
       l.id::bigint AS source_id, '{EntityType.EMPLOYEE}'::text AS entity_type,
       l.subject_id::bigint AS entity_id, l.transition::text AS transition,
       l.from_state::text AS from_state, l.to_state::text AS to_state,
       l.actor_id::bigint AS actor_id, l.at, l.reason::text AS reason,
       l.request_id::text AS request_id, l.metadata, l.prev_hash::text AS prev_hash,
       l.hash::text AS hash, 'transition'::text AS action, '{{}}'::jsonb AS changes,
       '{EntityType.EMPLOYEE}'::text AS subject_type, l.subject_id::bigint AS subject_id
FROM fsm_employeetransitionlog l
"""

ASSIGNMENT_TRANSITIONS = f"""
SELECT ('assignment_transition:' || l.id)::text, 'assignment_transition'::text, l.id::bigint,
       '{EntityType.ASSIGNMENT}'::text, l.subject_id::bigint, l.transition::text,
       l.from_state::text, l.to_state::text, l.actor_id::bigint, l.at, l.reason::text,
       l.request_id::text, l.metadata, l.prev_hash::text, l.hash::text, 'transition'::text,
       '{{}}'::jsonb, '{EntityType.ASSIGNMENT}'::text, l.subject_id::bigint
FROM assignments_assignmenttransitionlog l
"""

LEAVE_TRANSITIONS = f"""
SELECT ('leave_transition:' || l.id)::text, 'leave_transition'::text, l.id::bigint,
       '{EntityType.LEAVE_REQUEST}'::text, l.subject_id::bigint, l.transition::text,
       l.from_state::text, l.to_state::text, l.actor_id::bigint, l.at, l.reason::text,
       l.request_id::text, l.metadata, l.prev_hash::text, l.hash::text, 'transition'::text,
       '{{}}'::jsonb, '{EntityType.LEAVE_REQUEST}'::text, l.subject_id::bigint
FROM leave_leavetransitionlog l
"""

LEDGER_ENTRIES = f"""
SELECT ('ledger_entry:' || l.id)::text, 'ledger_entry'::text, l.id::bigint,
       '{EntityType.EMPLOYEE}'::text, l.employee_id::bigint, ('ledger.' || l.kind)::text, ''::text,
       (l.hours_per_week::text || ' h/week ' || l.start_date::text || '..'
        || l.end_date::text)::text,
       l.actor_id::bigint, l.at, COALESCE(NULLIF(l.note, ''), l.reason)::text,
       l.request_id::text, l.metadata || jsonb_build_object('reverses', l.reverses_id),
       l.prev_hash::text, l.hash::text, 'transition'::text, '{{}}'::jsonb,
       '{EntityType.EMPLOYEE}'::text, l.employee_id::bigint
FROM offer_ledgerentry l
"""

# The subject of a tag change is an employee or a position (tags' SubjectType, a subset of
# EntityType: tests/audit_log/test_sql.py holds it so). The snapshots carry the tag's code: a
# join with the catalogue in one branch would stop PostgreSQL from merging the index scans.
TAG_CHANGES = """
SELECT ('tag_change:' || l.id)::text, 'tag_change'::text, l.id::bigint,
       l.subject_type::text, l.subject_id::bigint, ('tag.' || l.action)::text,
       COALESCE(l.before::text, '')::text, COALESCE(l.after::text, '')::text,
       l.actor_id::bigint, l.at, l.reason::text, l.request_id::text,
       l.metadata || jsonb_build_object('tag', COALESCE(l.after, l.before) -> 'code'),
       l.prev_hash::text, l.hash::text, 'transition'::text, '{}'::jsonb,
       l.subject_type::text, l.subject_id::bigint
FROM tags_tagchangelog l
"""

# Captured changes (apps.core.capture): the transition is "<entity type>.<action>".
CHANGES = """
SELECT ('change:' || c.id)::text, 'change'::text, c.id::bigint, c.entity_type::text,
       c.entity_id::bigint, (c.entity_type || '.' || c.action)::text, ''::text, ''::text,
       c.actor_id::bigint, c.at, c.reason::text, c.request_id::text, '{}'::jsonb,
       c.prev_hash::text, c.hash::text, c.action::text, c.changes, c.subject_type::text,
       c.subject_id::bigint
FROM core_change c
"""

BRANCHES = (
    EMPLOYEE_TRANSITIONS,
    ASSIGNMENT_TRANSITIONS,
    LEAVE_TRANSITIONS,
    LEDGER_ENTRIES,
    TAG_CHANGES,
    CHANGES,
)


def view_sql(selects: tuple[str, ...] = BRANCHES) -> str:
    """The view over `selects`, every log by default (dropped first: column types may change)."""
    return (
        "DROP VIEW IF EXISTS audit_log_entry;\nCREATE VIEW audit_log_entry AS\n"
        + "\nUNION ALL\n".join(selects)
        + ";"
    )
