"""The audit row format, shared by audit-log/ and the per-subject history endpoints."""

from __future__ import annotations

from rest_framework import serializers

from apps.audit_log.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    id = serializers.IntegerField(source="source_id", help_text="The row's id in its log.")
    actor_email = serializers.EmailField(source="actor.email", default=None, allow_null=True)
    subject = serializers.CharField(source="subject_path")
    changes = serializers.DictField(
        child=serializers.ListField(min_length=2, max_length=2, allow_null=True),
        help_text="A captured change's fields, {field: [old, new]}; empty for transitions.",
    )

    class Meta:
        model = AuditEntry
        fields = (
            "uid",
            "id",
            "source",
            "source_id",
            "entity_type",
            "entity_id",
            "subject",
            "subject_type",
            "subject_id",
            "action",
            "changes",
            "transition",
            "from_state",
            "to_state",
            "actor",
            "actor_email",
            "at",
            "reason",
            "request_id",
            "metadata",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields


class VerifyResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    ok = serializers.BooleanField()
    checked = serializers.IntegerField()
    first_broken = serializers.DictField(allow_null=True)
    tables = serializers.DictField(child=serializers.IntegerField())


CSV_COLUMNS = (
    "at",
    "entity_type",
    "entity_id",
    "action",
    "changes",
    "transition",
    "from_state",
    "to_state",
    "actor",
    "actor_email",
    "reason",
    "request_id",
    "source",
    "source_id",
    "hash",
)
