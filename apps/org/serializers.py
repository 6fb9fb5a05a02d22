"""API shapes of org units, positions and employees (split read / write where they differ)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.codes import ErrorCode
from apps.core.serializers import ContributedFieldsMixin, Contributions, StrictInputMixin
from apps.fsm.serializers import AvailableTransitionsField
from apps.org.models import Employee, OrgUnit, Position


class OrgUnitSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OrgUnit
        fields = ("id", "code", "name", "parent", "active", "path")
        read_only_fields = ("id", "path")


class OrgUnitWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OrgUnit
        # `path` is known (a client may send back what it read) but only the tree sets it.
        fields = ("id", "code", "name", "parent", "active", "path")
        read_only_fields = ("id", "path")


class OrgUnitSummarySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OrgUnit
        fields = ("id", "code", "name")


class PositionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_summary = OrgUnitSummarySerializer(source="org_unit", read_only=True)

    class Meta:
        model = Position
        fields = (
            "id",
            "code",
            "title",
            "org_unit",
            "org_unit_summary",
            "weekly_hours",
            "start_date",
            "end_date",
            "active",
        )
        read_only_fields = fields


class PositionWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    weekly_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=168
    )

    class Meta:
        model = Position
        fields = (
            "id",
            "code",
            "title",
            "org_unit",
            "weekly_hours",
            "start_date",
            "end_date",
            "active",
        )
        read_only_fields = ("id",)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start = attrs.get("start_date", getattr(self.instance, "start_date", None))
        end = attrs.get("end_date", getattr(self.instance, "end_date", None))
        if start and end and end < start:
            raise serializers.ValidationError(
                {"end_date": ["The end date is before the start date."]},
                code=ErrorCode.END_BEFORE_START,
            )
        return attrs


# The registration point through which higher apps add fields to every employee row (the
# tags app adds `tags`), each loaded once per page.
employee_contributions = Contributions()


class EmployeeSerializer(ContributedFieldsMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """An employee with a summary of its org unit, and what other apps contribute (tags)."""

    contributions = employee_contributions
    org_unit_summary = OrgUnitSummarySerializer(source="org_unit", read_only=True)

    class Meta:
        model = Employee
        fields = (
            "id",
            "employee_number",
            "first_name",
            "last_name",
            "email",
            "org_unit",
            "org_unit_summary",
            "contract_hours",
            "hire_date",
            "termination_date",
            "state",
            "user",
        )
        read_only_fields = fields


class EmployeeDetailSerializer(EmployeeSerializer):
    available_transitions = AvailableTransitionsField()

    class Meta(EmployeeSerializer.Meta):
        fields = (*EmployeeSerializer.Meta.fields, "available_transitions")  # type: ignore[assignment]
        read_only_fields = fields  # type: ignore[assignment]


class EmployeeWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    contract_hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=168
    )

    class Meta:
        model = Employee
        fields = (
            "id",
            "employee_number",
            "first_name",
            "last_name",
            "email",
            "org_unit",
            "contract_hours",
            "hire_date",
            "termination_date",
            "state",
            "user",
        )
        read_only_fields = ("id", "state")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        hire = attrs.get("hire_date", getattr(self.instance, "hire_date", None))
        end = attrs.get("termination_date", getattr(self.instance, "termination_date", None))
        if hire and end and end < hire:
            raise serializers.ValidationError(
                {"termination_date": ["The termination date is before the hire date."]},
                code=ErrorCode.END_BEFORE_START,
            )
        return attrs
