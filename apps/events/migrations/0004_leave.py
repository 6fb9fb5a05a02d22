"""Leave requests in the outbox (DESIGN §10, §11): the leave log's rows become events
(`coveris.leave_request.requested`, `.approved`, `.rejected`, `.cancelled`), named in the
subtree of the employee's org unit; the verb of a request's creation is `requested`.

The SQL is written out as it ran: a migration reads no live module (0002_outbox.py holds the
previous versions of these functions)."""

from django.db import migrations

VERB = """
CREATE OR REPLACE FUNCTION coveris_event_verb(v_transition text) RETURNS text AS $$
    SELECT CASE v_transition
        WHEN 'create' THEN 'created' WHEN 'update' THEN 'updated' WHEN 'delete' THEN 'deleted'
        WHEN 'propose' THEN 'proposed' WHEN 'approve' THEN 'approved'
        WHEN 'activate' THEN 'activated' WHEN 'end' THEN 'ended' WHEN 'cancel' THEN 'cancelled'
        WHEN 'reject' THEN 'rejected' WHEN 'start_onboarding' THEN 'onboarding_started'
        WHEN 'start_leave' THEN 'leave_started' WHEN 'return_from_leave' THEN 'returned_from_leave'
        WHEN 'suspend' THEN 'suspended' WHEN 'reinstate' THEN 'reinstated'
        WHEN 'terminate' THEN 'terminated' WHEN 'add' THEN 'added' WHEN 'change' THEN 'changed'
        WHEN 'remove' THEN 'removed' WHEN 'request' THEN 'requested'
        ELSE v_transition END
$$ LANGUAGE sql IMMUTABLE;
"""

ORG_UNIT = """
CREATE OR REPLACE FUNCTION coveris_event_org_unit(v_type text, v_id bigint, v_row jsonb)
RETURNS bigint AS $$
DECLARE
    v_unit bigint;
BEGIN
    IF v_type = 'org_unit' THEN
        RETURN v_id;
    ELSIF v_type = 'employee' THEN
        SELECT org_unit_id INTO v_unit FROM org_employee WHERE id = v_id;
    ELSIF v_type = 'position' THEN
        SELECT org_unit_id INTO v_unit FROM org_position WHERE id = v_id;
    ELSIF v_type = 'assignment' THEN
        SELECT p.org_unit_id INTO v_unit FROM assignments_assignment a
          JOIN org_position p ON p.id = a.position_id WHERE a.id = v_id;
    ELSIF v_type = 'business_rule' THEN
        SELECT scope_id INTO v_unit FROM business_rules_businessrule WHERE id = v_id;
    ELSIF v_type = 'leave_request' THEN
        SELECT e.org_unit_id INTO v_unit FROM leave_leaverequest l
          JOIN org_employee e ON e.id = l.employee_id WHERE l.id = v_id;
    ELSIF v_type = 'webhook' THEN
        SELECT org_unit_id INTO v_unit FROM events_webhook WHERE id = v_id;
    END IF;
    IF v_unit IS NULL AND v_row IS NOT NULL THEN
        v_unit := NULLIF(COALESCE(v_row ->> 'org_unit_id', v_row -> 'org_unit_id' ->> 0,
                                  v_row ->> 'scope_id', v_row -> 'scope_id' ->> 0), '')::bigint;
    END IF;
    RETURN v_unit;
END;
$$ LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp;
"""

EMIT = """
CREATE OR REPLACE FUNCTION coveris_record_event(v_table text, r jsonb) RETURNS void AS $$
DECLARE
    v_uid text; v_type text; v_subject_type text; v_subject_id bigint;
    v_entity_type text; v_entity_id bigint; v_row jsonb; v_data jsonb;
BEGIN
    IF v_table = 'core_change' THEN
        v_uid := 'change:' || (r ->> 'id');
        v_entity_type := r ->> 'entity_type'; v_entity_id := (r ->> 'entity_id')::bigint;
        v_subject_type := r ->> 'subject_type'; v_subject_id := (r ->> 'subject_id')::bigint;
        v_type := v_entity_type || '.' || coveris_event_verb(r ->> 'action');
        v_data := jsonb_build_object('action', r -> 'action', 'changes', r -> 'changes');
        v_row := COALESCE(NULLIF(r -> 'state', 'null'::jsonb), r -> 'changes');
    ELSIF v_table IN ('fsm_employeetransitionlog', 'assignments_assignmenttransitionlog',
                      'leave_leavetransitionlog') THEN
        v_entity_type := CASE v_table WHEN 'fsm_employeetransitionlog' THEN 'employee'
                         WHEN 'leave_leavetransitionlog' THEN 'leave_request'
                         ELSE 'assignment' END;
        v_uid := v_entity_type || '_transition:' || (r ->> 'id');
        v_entity_id := (r ->> 'subject_id')::bigint;
        v_subject_type := v_entity_type; v_subject_id := v_entity_id;
        v_type := v_entity_type || '.' || coveris_event_verb(r ->> 'transition');
        v_data := jsonb_build_object('transition', r -> 'transition',
                                     'from_state', r -> 'from_state',
                                     'to_state', r -> 'to_state', 'metadata', r -> 'metadata');
    ELSIF v_table = 'offer_ledgerentry' THEN
        v_uid := 'ledger_entry:' || (r ->> 'id');
        v_entity_type := 'ledger_entry'; v_entity_id := (r ->> 'id')::bigint;
        v_subject_type := 'employee'; v_subject_id := (r ->> 'employee_id')::bigint;
        v_type := 'ledger_entry.created';
        v_data := jsonb_build_object('kind', r -> 'kind', 'start_date', r -> 'start_date',
                                     'end_date', r -> 'end_date',
                                     'hours_per_week', to_jsonb(r ->> 'hours_per_week'),
                                     'note', r -> 'note', 'reverses', r -> 'reverses_id');
    ELSIF v_table = 'tags_tagchangelog' THEN
        v_uid := 'tag_change:' || (r ->> 'id');
        v_subject_type := r ->> 'subject_type'; v_subject_id := (r ->> 'subject_id')::bigint;
        v_entity_type := v_subject_type || '_tag'; v_entity_id := NULL;
        v_type := v_subject_type || '.tag_' || coveris_event_verb(r ->> 'action');
        v_data := jsonb_build_object('action', r -> 'action', 'before', r -> 'before',
                                     'after', r -> 'after');
    ELSE
        RAISE EXCEPTION 'coveris_record_event: no event for table %', v_table;
    END IF;
    v_data := v_data || jsonb_build_object(
        'entity_type', v_entity_type, 'entity_id', v_entity_id, 'actor', r -> 'actor_id',
        'at', r -> 'at', 'reason', r -> 'reason', 'request_id', r -> 'request_id',
        'audit_uid', v_uid, 'audit_hash', r -> 'hash');
    INSERT INTO events_event (xid, uid, type, subject, entity_type, entity_id, org_unit_id,
                              time, data)
    VALUES (pg_current_xact_id()::text::bigint, v_uid, 'coveris.' || v_type,
            v_subject_type || '/' || v_subject_id, v_entity_type, v_entity_id,
            coveris_event_org_unit(v_subject_type, v_subject_id, v_row),
            (r ->> 'at')::timestamptz, v_data);
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp;

"""


class Migration(migrations.Migration):
    dependencies = [("events", "0003_gap_threshold"), ("leave", "0002_record")]
    operations = [
        migrations.RunSQL(VERB, migrations.RunSQL.noop),
        migrations.RunSQL(ORG_UNIT, migrations.RunSQL.noop),
        migrations.RunSQL(EMIT, migrations.RunSQL.noop),
        migrations.RunSQL(
            "CREATE TRIGGER leave_leavetransitionlog_emit_event AFTER INSERT"
            " ON leave_leavetransitionlog FOR EACH ROW EXECUTE FUNCTION coveris_emit_event();",
            "DROP TRIGGER IF EXISTS leave_leavetransitionlog_emit_event"
            " ON leave_leavetransitionlog;",
        ),
    ]
