"""API shapes of imports, their rows and the kinds that can be imported."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import StrictInputMixin
from apps.imports.kinds import KINDS
from apps.imports.models import Import, ImportRow, RowAction


class ImportSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An import: what it is at (`state`), how far (`rows_done` of `rows_total`), and what its
    dry run found or its commit did (`created`, `updated`, `unchanged`, `errors`)."""

    class Meta:
        model = Import
        fields = (
            "id",
            "kind",
            "state",
            "mode",
            "filename",
            "file_format",
            "rows_total",
            "rows_done",
            "created",
            "updated",
            "unchanged",
            "errors",
            "error",
            "created_by",
            "committed_by",
            "request_id",
            "created_at",
            "validated_at",
            "finished_at",
        )
        read_only_fields = fields


class ImportCreateSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    """multipart/form-data: the kind, and the file (CSV in UTF-8 with `,` or `;`, or XLSX)."""

    kind = serializers.ChoiceField(choices=sorted(KINDS))
    file = serializers.FileField(allow_empty_file=True)


class ImportCommitSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    partial = serializers.BooleanField(  # type: ignore[assignment]
        default=False,
        help_text="Commit the valid rows and leave the rows in error (default: all or nothing).",
    )


class RowErrorSerializer(serializers.Serializer):  # type: ignore[type-arg]
    field = serializers.CharField(help_text="The column (empty: the row as a whole).")
    code = serializers.CharField()
    message = serializers.CharField()


class ImportRowSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A row of the file: its line (`row`, the header is 1), what the dry run or the commit
    made of it, the natural key it was matched by, the columns an update changes, and why it
    was refused."""

    errors = RowErrorSerializer(many=True, read_only=True)  # type: ignore[assignment]
    values = serializers.DictField(child=serializers.CharField(allow_blank=True), read_only=True)
    changed = serializers.ListField(child=serializers.CharField(), read_only=True)
    violations = serializers.ListField(child=serializers.DictField(), read_only=True)

    class Meta:
        model = ImportRow
        fields = ("row", "action", "key", "values", "changed", "errors", "violations")
        read_only_fields = fields


class ImportRowQuerySerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    status = serializers.ChoiceField(choices=RowAction.values, required=False)
    format = serializers.ChoiceField(choices=["json"], required=False)  # the renderer's
    page = serializers.IntegerField(required=False)
    page_size = serializers.IntegerField(required=False)


class ImportKindSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """What a file of this kind holds."""

    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    columns = serializers.ListField(child=serializers.CharField())
    required = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]
    key = serializers.ListField(child=serializers.CharField())
    managers_may = serializers.BooleanField()
    help = serializers.CharField()
