"""API shapes of assignments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from apps.assignments.models import Assignment
from apps.core.codes import ErrorCode
from apps.core.serializers import DecimalField, ScopedRelationsMixin, StrictInputMixin
from apps.fsm.serializers import WithAvailableTransitions
from apps.org.selectors import employee_list, position_list

# Plausible assignment dates: far enough from date.min/date.max that the week arithmetic of an
# evaluation (ISO weeks, the horizon of open-ended assignments) cannot overflow into a 500.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


class AssignmentSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    employee_name = serializers.SerializerMethodField()
    position_code = serializers.CharField(source="position.code", read_only=True)

    class Meta:
        model = Assignment
        fields = (
            "id",
            "employee",
            "employee_name",
            "position",
            "position_code",
            "start_date",
            "end_date",
            "weekly_hours",
            "state",
            "created_at",
        )
        read_only_fields = fields

    def get_employee_name(self, obj: Assignment) -> str:
        return f"{obj.employee.first_name} {obj.employee.last_name}"


class AssignmentDetailSerializer(WithAvailableTransitions, AssignmentSerializer):
    pass


class AssignmentWriteSerializer(
    StrictInputMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,  # type: ignore[type-arg]
):
    """Proposing (or editing a proposed) assignment; `override` + `reason` pass rule errors."""

    # Only what the caller can see can be referenced.
    scoped_relations = {"employee": employee_list, "position": position_list}

    weekly_hours = DecimalField(
        max_digits=5, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("168")
    )
    override = serializers.BooleanField(default=False, write_only=True)
    reason = serializers.CharField(default="", allow_blank=True, max_length=2000, write_only=True)

    class Meta:
        model = Assignment
        fields = (
            "id",
            "employee",
            "position",
            "start_date",
            "end_date",
            "weekly_hours",
            "state",
            "override",
            "reason",
        )
        read_only_fields = ("id", "state")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        for name, day in (("start_date", start), ("end_date", end)):
            if day and not EARLIEST_DATE <= day <= LATEST_DATE:
                raise serializers.ValidationError(
                    {name: [f"Dates lie between {EARLIEST_DATE} and {LATEST_DATE}."]},
                    code=ErrorCode.DATE_OUT_OF_RANGE,
                )
        return attrs


class SimulateInputSerializer(AssignmentWriteSerializer):
    class Meta(AssignmentWriteSerializer.Meta):
        fields = ("employee", "position", "start_date", "end_date", "weekly_hours")  # type: ignore[assignment]
        read_only_fields = ()  # type: ignore[assignment]


class ViolationSerializer(serializers.Serializer):  # type: ignore[type-arg]
    rule = serializers.CharField()
    kind = serializers.CharField()
    severity = serializers.ChoiceField(choices=["error", "warning"])
    message = serializers.CharField()
    weeks = serializers.ListField(child=serializers.CharField())
    facts = serializers.DictField()


class SimulateCoverageWeekSerializer(serializers.Serializer):  # type: ignore[type-arg]
    week = serializers.CharField()
    week_start = serializers.DateField()
    required = DecimalField(max_digits=9, decimal_places=2)  # type: ignore[assignment]
    assigned_before = DecimalField(max_digits=9, decimal_places=2)
    assigned_after = DecimalField(max_digits=9, decimal_places=2)
    gap_before = DecimalField(max_digits=9, decimal_places=2)
    gap_after = DecimalField(max_digits=9, decimal_places=2)


class SimulateSupplyWeekSerializer(serializers.Serializer):  # type: ignore[type-arg]
    week = serializers.CharField()
    week_start = serializers.DateField()
    supply = DecimalField(max_digits=9, decimal_places=2)
    assigned_before = DecimalField(max_digits=9, decimal_places=2)
    assigned_after = DecimalField(max_digits=9, decimal_places=2)
    free_before = DecimalField(max_digits=9, decimal_places=2)
    free_after = DecimalField(max_digits=9, decimal_places=2)


class SimulateResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    violations = ViolationSerializer(many=True)
    blocked = serializers.BooleanField()
    coverage = SimulateCoverageWeekSerializer(many=True)
    supply = SimulateSupplyWeekSerializer(many=True)
    total_hours = DecimalField(max_digits=12, decimal_places=2)
