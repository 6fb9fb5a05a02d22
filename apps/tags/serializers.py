"""API shapes of the catalogue, employee and position tags, tag changes and candidates."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.codes import ErrorCode
from apps.core.serializers import DecimalField, ScopedRelationsMixin, StrictInputMixin
from apps.org.selectors import employee_list, position_list
from apps.tags.models import EmployeeTag, PositionTag, Requirement, TagCatalog, TagChangeLog

TAG_FIELDS = ("id", "code", "label", "category", "description", "active")


class TagSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = TagCatalog
        fields = TAG_FIELDS
        read_only_fields = fields


class TagWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = TagCatalog
        fields = TAG_FIELDS
        read_only_fields = ("id",)


class TagSummarySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = TagCatalog
        fields = ("id", "code", "label", "category", "active")
        read_only_fields = fields


class ImmutableOnUpdateMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Fields that identify the row (`immutable_fields`) are set on create only; a client may
    send back the value it read, but not a different one."""

    immutable_fields: tuple[str, ...] = ()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None:
            errors = {}
            for name in self.immutable_fields:
                if name in attrs:
                    if getattr(self.instance, f"{name}_id") != attrs[name].pk:
                        errors[name] = ["This cannot be changed; remove the tag and add another."]
                    attrs.pop(name)
            if errors:
                raise serializers.ValidationError(errors, code=ErrorCode.IMMUTABLE)
        return attrs


class EmployeeTagSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    tag_summary = TagSummarySerializer(source="tag", read_only=True)

    class Meta:
        model = EmployeeTag
        fields = ("id", "employee", "tag", "tag_summary", "level", "valid_from", "valid_until")
        read_only_fields = fields


class EmployeeTagWriteSerializer(
    ImmutableOnUpdateMixin,
    StrictInputMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,  # type: ignore[type-arg]
):
    level = serializers.IntegerField(min_value=1, max_value=5)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="", write_only=True)
    immutable_fields = ("employee", "tag")
    scoped_relations = {"employee": employee_list}

    class Meta:
        model = EmployeeTag
        fields = ("id", "employee", "tag", "level", "valid_from", "valid_until", "reason")
        read_only_fields = ("id",)
        # The service reports a duplicate (employee, tag, valid_from) as a 409 with its code.
        validators: list[Any] = []


class PositionTagSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    tag_summary = TagSummarySerializer(source="tag", read_only=True)

    class Meta:
        model = PositionTag
        fields = ("id", "position", "tag", "tag_summary", "requirement", "min_level")
        read_only_fields = fields


class PositionTagWriteSerializer(
    ImmutableOnUpdateMixin,
    StrictInputMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,  # type: ignore[type-arg]
):
    requirement = serializers.ChoiceField(choices=Requirement.choices, default=Requirement.REQUIRED)
    min_level = serializers.IntegerField(min_value=1, max_value=5, default=1)
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="", write_only=True)
    immutable_fields = ("position", "tag")
    scoped_relations = {"position": position_list}

    class Meta:
        model = PositionTag
        fields = ("id", "position", "tag", "requirement", "min_level", "reason")
        read_only_fields = ("id",)
        validators: list[Any] = []


class ReasonInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="")


class TagChangeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """One logged change: which subject, what was done to which tag, the row before and after,
    who, when, why, and the chain links."""

    tag_code = serializers.CharField(source="tag.code", read_only=True)
    actor_email = serializers.EmailField(source="actor.email", default=None, read_only=True)

    class Meta:
        model = TagChangeLog
        fields = (
            "id",
            "subject_type",
            "subject_id",
            "action",
            "tag",
            "tag_code",
            "before",
            "after",
            "actor",
            "actor_email",
            "at",
            "reason",
            "request_id",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields


class CandidateScoreSerializer(serializers.Serializer):  # type: ignore[type-arg]
    required_met = serializers.IntegerField()
    required_total = serializers.IntegerField()
    preferred_met = serializers.IntegerField()
    preferred_total = serializers.IntegerField()
    free_hours = DecimalField(max_digits=10, decimal_places=2)


class CandidateSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """An employee's rank for a position, the score behind it and a sentence explaining it."""

    rank = serializers.IntegerField()
    employee = serializers.IntegerField()
    employee_number = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField()
    score = CandidateScoreSerializer()
    missing_required = serializers.ListField(child=serializers.CharField())
    missing_preferred = serializers.ListField(child=serializers.CharField())
    explanation = serializers.CharField()


class EmployeeTagSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    """An employee's tag as every employee row shows it (the `tags` the tags app contributes)."""

    tag = serializers.CharField(source="tag.code")
    label = serializers.CharField(source="tag.label")  # type: ignore[assignment]
    level = serializers.IntegerField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)
