"""The change log (core_change) and the capture trigger function every tracked table calls.

coveris_capture(entity_type, id_column, subject_type, subject_column, excluded_csv, member_of,
value_column) appends, for each row inserted, updated or deleted, the next link of the entity's
chain (coveris_record_change, which a migration also calls to record the rows that exist when
capture is installed): the field-level differences and the row as it is after the change (never
the excluded columns; an update that changes only those writes nothing), the actor, request id and reason from the transaction's settings
(apps/core/capture.py), the database's clock, and sha-256 over the previous hash, a newline and
the length-prefixed fields (apps.core.capture.link_hash recomputes it). It runs with its owner's
rights (SECURITY DEFINER), so the application's role, which may not INSERT into core_change
(0003_app_role), cannot write a change row but through it.

The SQL is written out as it ran: a migration reads no live module.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CAPTURE_FUNCTION = r"""
CREATE OR REPLACE FUNCTION coveris_refuse_log_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the table % is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION coveris_record_change(
    v_entity_type text, v_id_column text, v_subject_type text, v_subject_column text,
    v_excluded text[], v_member_of text, v_value_column text,
    v_op text, v_old jsonb, v_new jsonb
) RETURNS void AS $$
DECLARE
    v_row jsonb;
    v_state jsonb;
    v_action text;
    v_changes jsonb;
    v_entity_id bigint;
    v_subject_id bigint;
    v_actor bigint;
    v_request_id text;
    v_reason text;
    v_at timestamptz := clock_timestamp();
    v_prev text;
    v_payload text;
BEGIN
    v_old := v_old - COALESCE(v_excluded, '{}');
    v_new := v_new - COALESCE(v_excluded, '{}');
    v_row := COALESCE(v_new, v_old);
    IF v_member_of <> '' THEN
        -- One value of a multi-valued field of the entity: recorded as an update of it.
        IF v_old -> v_value_column IS NOT DISTINCT FROM v_new -> v_value_column THEN
            RETURN;
        END IF;
        v_action := 'update';
        v_changes := jsonb_build_object(v_member_of, jsonb_build_array(
            v_old -> v_value_column, v_new -> v_value_column));
    ELSIF v_op = 'INSERT' THEN
        v_action := 'create';
        v_state := v_new;
        SELECT COALESCE(jsonb_object_agg(key, jsonb_build_array(NULL, value)), '{}')
          INTO v_changes FROM jsonb_each(v_new) WHERE value <> 'null'::jsonb;
    ELSIF v_op = 'DELETE' THEN
        v_action := 'delete';
        SELECT COALESCE(jsonb_object_agg(key, jsonb_build_array(value, NULL)), '{}')
          INTO v_changes FROM jsonb_each(v_old) WHERE value <> 'null'::jsonb;
    ELSE
        v_action := 'update';
        v_state := v_new;
        SELECT jsonb_object_agg(n.key, jsonb_build_array(v_old -> n.key, n.value))
          INTO v_changes FROM jsonb_each(v_new) n
         WHERE v_old -> n.key IS DISTINCT FROM n.value;
        IF v_changes IS NULL THEN
            RETURN;
        END IF;
    END IF;
    v_entity_id := (v_row ->> v_id_column)::bigint;
    v_subject_id := (v_row ->> v_subject_column)::bigint;
    v_actor := NULLIF(current_setting('coveris.actor', true), '')::bigint;
    v_request_id := COALESCE(current_setting('coveris.request_id', true), '');
    v_reason := COALESCE(current_setting('coveris.reason', true), '');
    -- One writer at a time appends to an entity's chain. An update or delete holds the row's
    -- lock until it commits, and an insert's row is seen by nobody else before: both are alone
    -- already. A member row (a manager's scope) does not lock its entity's row: lock the chain.
    IF v_member_of <> '' THEN
        PERFORM pg_advisory_xact_lock(hashtextextended(v_entity_type || ':' || v_entity_id, 0));
    END IF;
    SELECT c.hash INTO v_prev FROM core_change c
     WHERE c.entity_type = v_entity_type AND c.entity_id = v_entity_id
     ORDER BY c.id DESC LIMIT 1;
    v_prev := COALESCE(v_prev, repeat('0', 64));
    SELECT string_agg(length(f) || ':' || f || ';', '' ORDER BY n) INTO v_payload
      FROM unnest(ARRAY[
          v_entity_type, v_entity_id::text, v_action, v_subject_type, v_subject_id::text,
          COALESCE(v_actor::text, ''),
          to_char(v_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          v_request_id, v_reason, v_changes::text, COALESCE(v_state::text, '')
      ]) WITH ORDINALITY AS t(f, n);
    INSERT INTO core_change (entity_type, entity_id, action, changes, state, subject_type,
                             subject_id, actor_id, at, request_id, reason, prev_hash, hash)
    VALUES (v_entity_type, v_entity_id, v_action, v_changes, v_state, v_subject_type,
            v_subject_id, v_actor, v_at, v_request_id, v_reason, v_prev,
            encode(sha256(convert_to(v_prev || E'\n' || v_payload, 'UTF8')), 'hex'));
END;
$$ LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp;

CREATE OR REPLACE FUNCTION coveris_capture() RETURNS trigger AS $$
BEGIN
    PERFORM coveris_record_change(
        TG_ARGV[0], TG_ARGV[1], TG_ARGV[2], TG_ARGV[3], string_to_array(TG_ARGV[4], ','),
        TG_ARGV[5], TG_ARGV[6], TG_OP,
        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
"""


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("core", "0001_cache_table"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="Change",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("entity_type", models.CharField(max_length=32)),
                ("entity_id", models.BigIntegerField()),
                (
                    "action",
                    models.CharField(
                        choices=[("create", "Create"), ("update", "Update"), ("delete", "Delete")],
                        max_length=8,
                    ),
                ),
                ("changes", models.JSONField(default=dict)),
                ("state", models.JSONField(blank=True, null=True)),
                ("subject_type", models.CharField(max_length=32)),
                ("subject_id", models.BigIntegerField()),
                ("at", models.DateTimeField()),
                ("request_id", models.CharField(blank=True, default="", max_length=128)),
                ("reason", models.TextField(blank=True, default="")),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64, unique=True)),
                (
                    "actor",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ("-at", "-id"),
                "indexes": [
                    models.Index(fields=["entity_type", "entity_id", "id"], name="change_chain"),
                    models.Index(
                        fields=["subject_type", "subject_id", "at"], name="change_subject"
                    ),
                    models.Index(fields=["at"], name="change_at"),
                ],
            },
        ),
        migrations.RunSQL(
            CAPTURE_FUNCTION,
            "DROP FUNCTION IF EXISTS coveris_capture();"
            " DROP FUNCTION IF EXISTS coveris_record_change(text, text, text, text, text[], text, text, text, jsonb, jsonb);",
        ),
        migrations.RunSQL(
            "CREATE TRIGGER core_change_append_only BEFORE UPDATE OR DELETE ON core_change FOR EACH ROW EXECUTE FUNCTION coveris_refuse_log_change();"
            " CREATE TRIGGER core_change_no_truncate BEFORE TRUNCATE ON core_change FOR EACH STATEMENT EXECUTE FUNCTION coveris_refuse_log_change();",
            "DROP TRIGGER IF EXISTS core_change_append_only ON core_change; DROP TRIGGER IF EXISTS core_change_no_truncate ON core_change;",
        ),
    ]
