"""API shapes of coverage requirements and coverage rows."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.serializers import DecimalField, StrictInputMixin
from apps.demand.models import CoverageRequirement


class RequirementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = CoverageRequirement
        fields = ("id", "position", "start_date", "end_date", "required_hours")
        read_only_fields = fields


class RequirementWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    required_hours = DecimalField(max_digits=7, decimal_places=2, min_value=0, max_value=10000)

    class Meta:
        model = CoverageRequirement
        fields = ("id", "position", "start_date", "end_date", "required_hours")
        read_only_fields = ("id",)


class CoverageRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    position = serializers.IntegerField()
    week = serializers.CharField()
    week_start = serializers.DateField()
    required = DecimalField(max_digits=12, decimal_places=2)  # type: ignore[assignment]
    assigned = DecimalField(max_digits=12, decimal_places=2)
    gap = DecimalField(max_digits=12, decimal_places=2)
    ratio = DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    holiday_hours_lost = DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Assigned hours not delivered because the employees' calendars take them off "
        "(public holidays, closures, half days).",
    )
    leave_hours_lost = DecimalField(
        max_digits=12,
        decimal_places=2,
        help_text="Assigned hours not delivered because the employees are on leave: an "
        "employee's assignments deliver at most their supply in a week of leave, each its "
        "share pro rata. `assigned` is net of them.",
    )


class SummaryRowSerializer(CoverageRowSerializer):
    position = None  # type: ignore[assignment]
    org_unit = serializers.IntegerField()
    org_unit_code = serializers.CharField()


def coverage_row(row: Any, key_name: str, **extra: Any) -> dict[str, Any]:
    """A coverage row as the API writes it (hours as strings with two places)."""
    ratio = row.ratio
    return {
        key_name: row.key,
        **extra,
        "week": row.week,
        "week_start": row.week_start,
        "required": f"{row.required:.2f}",
        "assigned": f"{row.assigned:.2f}",
        "gap": f"{row.gap:.2f}",
        "ratio": None if ratio is None else f"{ratio:.4f}",
        "holiday_hours_lost": f"{row.holiday_hours_lost:.2f}",
        "leave_hours_lost": f"{row.leave_hours_lost:.2f}",
    }
