"""API shapes of org units, positions and employees (split read / write where they differ)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.serializers import StrictInputMixin
from apps.fsm.serializers import WithAvailableTransitions
from apps.org import selectors
from apps.org.models import Employee, OrgUnit, Position

# The write shapes' fields; a read shape adds the org unit's summary right after its id.
POSITION_FIELDS = (
    "id",
    "code",
    "title",
    "org_unit",
    "weekly_hours",
    "start_date",
    "end_date",
    "active",
)
EMPLOYEE_FIELDS = (
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


def _after_org_unit(fields: tuple[str, ...], *extra: str) -> tuple[str, ...]:
    at = fields.index("org_unit") + 1
    return (*fields[:at], *extra, *fields[at:])


class OrgUnitSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OrgUnit
        fields = ("id", "code", "name", "parent", "active", "path")
        read_only_fields = ("id", "path")


# The read shape: `path` is known (a client may send back what it read) but only the tree sets
# it. (No docstring: the schema keeps StrictInputMixin's.)
class OrgUnitWriteSerializer(StrictInputMixin, OrgUnitSerializer):
    pass


class OrgUnitSummarySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = OrgUnit
        fields = ("id", "code", "name")


class PositionSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    org_unit_summary = OrgUnitSummarySerializer(source="org_unit", read_only=True)

    class Meta:
        model = Position
        fields = _after_org_unit(POSITION_FIELDS, "org_unit_summary")
        read_only_fields = fields


class PositionWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    weekly_hours = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=168
    )

    class Meta:
        model = Position
        fields = POSITION_FIELDS
        read_only_fields = ("id",)


class EmployeeTagSummarySerializer(serializers.Serializer):  # type: ignore[type-arg]
    tag = serializers.CharField(source="tag.code")
    label = serializers.CharField(source="tag.label")  # type: ignore[assignment]
    level = serializers.IntegerField()
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(allow_null=True)


class EmployeeSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """An employee with a summary of its org unit and its tags."""

    org_unit_summary = OrgUnitSummarySerializer(source="org_unit", read_only=True)
    tags = serializers.SerializerMethodField()

    class Meta:
        model = Employee
        fields = (*_after_org_unit(EMPLOYEE_FIELDS, "org_unit_summary"), "tags")
        read_only_fields = fields

    @extend_schema_field(EmployeeTagSummarySerializer(many=True))
    def get_tags(self, employee: Employee) -> list[dict[str, Any]]:
        return selectors.employee_tags([employee.pk])[employee.pk]


# The employees list's fast path (ServiceModelViewSet.list_values): the `.values()` columns of
# `selectors.employee_list` and the row (+ its tags) -> EmployeeSerializer output mapping.
# tests/org/test_employee_rows.py holds the two representations equal.
EMPLOYEE_ROW_VALUES = _after_org_unit(EMPLOYEE_FIELDS, "org_unit__code", "org_unit__name")


def employee_row(row: dict[str, Any], tags: list[dict[str, Any]]) -> dict[str, Any]:
    """What EmployeeSerializer gives for the employee in `row` with `tags` (from
    `selectors.employee_tags`): dates ISO, hours as "40.00"."""
    end = row["termination_date"]
    return {
        "id": row["id"],
        "employee_number": row["employee_number"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "email": row["email"],
        "org_unit": row["org_unit"],
        "org_unit_summary": {
            "id": row["org_unit"],
            "code": row["org_unit__code"],
            "name": row["org_unit__name"],
        },
        "contract_hours": f"{row['contract_hours']:f}",
        "hire_date": row["hire_date"].isoformat(),
        "termination_date": end.isoformat() if end is not None else None,
        "state": row["state"],
        "user": row["user"],
        "tags": tags,
    }


class EmployeeDetailSerializer(WithAvailableTransitions, EmployeeSerializer):
    pass


class EmployeeWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    contract_hours = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=168
    )

    class Meta:
        model = Employee
        fields = EMPLOYEE_FIELDS
        read_only_fields = ("id", "state")
