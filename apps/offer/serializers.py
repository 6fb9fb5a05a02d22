"""API shapes of ledger entries and supply rows."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.codes import ErrorCode
from apps.core.serializers import DecimalField, ScopedRelationsMixin, StrictInputMixin
from apps.offer.models import LedgerEntry, LedgerKind
from apps.org.selectors import employee_list


class LedgerEntrySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    created_at = serializers.DateTimeField(source="at", read_only=True)

    class Meta:
        model = LedgerEntry
        fields = (
            "id",
            "employee",
            "kind",
            "start_date",
            "end_date",
            "hours_per_week",
            "note",
            "actor",
            "created_at",
            "reverses",
            "request_id",
            "prev_hash",
            "hash",
        )
        read_only_fields = fields


class LedgerEntryWriteSerializer(
    StrictInputMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,  # type: ignore[type-arg]
):
    scoped_relations = {"employee": employee_list}
    kind = serializers.ChoiceField(
        choices=[c for c in LedgerKind.choices if c[0] != LedgerKind.CORRECTION]
    )
    hours_per_week = DecimalField(max_digits=6, decimal_places=2, min_value=-168, max_value=168)
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")

    class Meta:
        model = LedgerEntry
        fields = ("id", "employee", "kind", "start_date", "end_date", "hours_per_week", "note")
        read_only_fields = ("id",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["hours_per_week"] == 0:
            raise serializers.ValidationError(
                {"hours_per_week": ["An entry of zero hours changes nothing."]}, code=ErrorCode.ZERO
            )
        return attrs


class ReverseInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")


class SupplyRowSerializer(serializers.Serializer):  # type: ignore[type-arg]
    employee = serializers.IntegerField()
    week = serializers.CharField()
    week_start = serializers.DateField()
    contract = DecimalField(max_digits=9, decimal_places=2)
    ledger = DecimalField(max_digits=9, decimal_places=2)
    supply = DecimalField(max_digits=9, decimal_places=2)
    assigned = DecimalField(max_digits=9, decimal_places=2)
    free = DecimalField(max_digits=9, decimal_places=2)
    working_hours = DecimalField(
        max_digits=9,
        decimal_places=2,
        allow_null=True,
        help_text="The working hours of the employee's calendar that week (null: no calendar, "
        "hours spread over all seven days).",
    )


def supply_row(row: Any) -> dict[str, Any]:
    """A supply row as the API writes it (hours as strings with two places)."""
    return {
        "employee": row.employee,
        "week": row.week,
        "week_start": row.week_start,
        "contract": f"{row.contract:.2f}",
        "ledger": f"{row.ledger:.2f}",
        "supply": f"{row.supply:.2f}",
        "assigned": f"{row.assigned:.2f}",
        "free": f"{row.free:.2f}",
        "working_hours": None if row.working_hours is None else f"{row.working_hours:.2f}",
    }
