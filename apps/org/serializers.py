"""API shapes of org units, positions and employees (split read / write where they differ)."""

from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import (
    ContributedFieldsMixin,
    Contributions,
    DecimalField,
    StrictInputMixin,
)
from apps.fsm.serializers import WithAvailableTransitions
from apps.org.models import ContractHours, Employee, OrgUnit, Position, WeeklyHours

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
    "closes_on_holidays",
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
    effective_calendar = serializers.IntegerField(
        source="effective_calendar_id",
        read_only=True,
        allow_null=True,
        help_text="The calendar this unit follows: its own, else its nearest ancestor's "
        "(null: none up the tree, hours spread over all seven days).",
    )

    class Meta:
        model = OrgUnit
        fields = (
            "id",
            "code",
            "name",
            "parent",
            "active",
            "path",
            "calendar",
            "effective_calendar",
        )
        read_only_fields = ("id", "path", "effective_calendar")


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
    weekly_hours = DecimalField(max_digits=6, decimal_places=2, min_value=0, max_value=168)

    class Meta:
        model = Position
        fields = POSITION_FIELDS
        read_only_fields = ("id",)


# The registration point through which higher apps add fields to every employee row (the
# tags app adds `tags`), each loaded once per page.
employee_contributions = Contributions()


class EmployeeSerializer(ContributedFieldsMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """An employee with a summary of its org unit, and what other apps contribute (tags)."""

    contributions = employee_contributions
    org_unit_summary = OrgUnitSummarySerializer(source="org_unit", read_only=True)

    class Meta:
        model = Employee
        fields = _after_org_unit(EMPLOYEE_FIELDS, "org_unit_summary")
        read_only_fields = fields


class EmployeeDetailSerializer(WithAvailableTransitions, EmployeeSerializer):
    pass


class EmployeeWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    contract_hours = DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=168)

    class Meta:
        model = Employee
        fields = EMPLOYEE_FIELDS
        read_only_fields = ("id", "state")


# A version as the API writes it: `recorded_at` is the database clock at recording.
VERSION_FIELDS = ("valid_from", "hours", "note", "actor", "recorded_at")


class ContractHoursSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A version of an employee's contract hours."""

    class Meta:
        model = ContractHours
        fields = ("id", "employee", *VERSION_FIELDS)
        read_only_fields = fields


class WeeklyHoursSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A version of a position's demanded weekly hours."""

    class Meta:
        model = WeeklyHours
        fields = ("id", "position", *VERSION_FIELDS)
        read_only_fields = fields


class _VersionInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    valid_from = serializers.DateField()
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")


class ContractHoursInputSerializer(_VersionInputSerializer):
    """A new version of the contract hours: from when, how many hours a week, and why."""

    hours = DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=168)


class WeeklyHoursInputSerializer(_VersionInputSerializer):
    """A new version of the weekly hours: from when, how many hours a week, and why."""

    hours = DecimalField(max_digits=6, decimal_places=2, min_value=0, max_value=168)
