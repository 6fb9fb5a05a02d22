"""API shapes of leave requests, entitlements, balances and simulate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from apps.assignments.serializers import EARLIEST_DATE, LATEST_DATE, ViolationSerializer
from apps.core.codes import ErrorCode
from apps.core.serializers import DecimalField, ScopedRelationsMixin, StrictInputMixin
from apps.fsm.serializers import WithAvailableTransitions
from apps.leave.models import LeaveEntitlement, LeaveKind, LeaveRequest
from apps.leave.selectors import leave_request_list
from apps.org.models import Employee
from apps.org.selectors import employee_list


class LeaveRequestSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    employee_name = serializers.SerializerMethodField()
    employee_number = serializers.CharField(source="employee.employee_number", read_only=True)

    class Meta:
        model = LeaveRequest
        fields = (
            "id",
            "employee",
            "employee_name",
            "employee_number",
            "kind",
            "start_date",
            "end_date",
            "hours",
            "hours_given",
            "note",
            "state",
            "ledger_entry",
            "created_at",
        )
        read_only_fields = fields

    def get_employee_name(self, obj: LeaveRequest) -> str:
        return f"{obj.employee.first_name} {obj.employee.last_name}"


class LeaveRequestDetailSerializer(WithAvailableTransitions, LeaveRequestSerializer):
    pass


def _check_dates(attrs: dict[str, Any]) -> None:
    for name in ("start_date", "end_date"):
        day = attrs.get(name)
        if day and not EARLIEST_DATE <= day <= LATEST_DATE:
            raise serializers.ValidationError(
                {name: [f"Dates lie between {EARLIEST_DATE} and {LATEST_DATE}."]},
                code=ErrorCode.DATE_OUT_OF_RANGE,
            )
    start, end = attrs.get("start_date"), attrs.get("end_date")
    if start and end and end < start:
        raise serializers.ValidationError(
            {"end_date": ["The end date is before the start date."]},
            code=ErrorCode.END_BEFORE_START,
        )


class LeaveRequestWriteSerializer(StrictInputMixin, ScopedRelationsMixin, serializers.Serializer):  # type: ignore[type-arg]
    """Asking for leave. `employee` defaults to the caller's own employee record; `hours`, to
    what their contract delivers over the days by their calendar. Leave starting before today
    is for HR admins, with a `reason`."""

    scoped_relations = {"employee": employee_list}

    employee = serializers.PrimaryKeyRelatedField(queryset=Employee.objects.none(), required=False)
    kind = serializers.ChoiceField(choices=LeaveKind.choices, default=LeaveKind.VACATION)
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    hours = DecimalField(
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("9000"),
        required=False,
        allow_null=True,
    )
    note = serializers.CharField(max_length=2000, allow_blank=True, default="")
    reason = serializers.CharField(max_length=2000, allow_blank=True, default="", write_only=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        _check_dates(attrs)
        if "employee" not in attrs:
            request = self.context.get("request")
            own = getattr(getattr(request, "user", None), "employee", None)
            if own is None:
                raise serializers.ValidationError(
                    {"employee": ["Required: your user is linked to no employee."]},
                    code=ErrorCode.REQUIRED,
                )
            attrs["employee"] = own
        return attrs


# Named apart from assignments/simulate/'s shapes (one component name each in the schema).
@extend_schema_serializer(component_name="LeaveSimulateInput")
class SimulateInputSerializer(LeaveRequestWriteSerializer):
    """What approving leave would do: a request's id, or the fields of one not yet asked for."""

    scoped_relations = {"employee": employee_list, "request": leave_request_list}

    request = serializers.PrimaryKeyRelatedField(
        queryset=LeaveRequest.objects.none(), required=False
    )
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("request") is not None:
            return attrs
        missing = [n for n in ("start_date", "end_date") if attrs.get(n) is None]
        if missing:
            raise serializers.ValidationError(
                {n: ["Required (or give `request`)."] for n in missing}, code=ErrorCode.REQUIRED
            )
        return super().validate(attrs)


class BalanceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    kind = serializers.ChoiceField(choices=LeaveKind.choices)
    entitled = DecimalField(max_digits=7, decimal_places=2)
    approved = DecimalField(max_digits=7, decimal_places=2)
    requested = DecimalField(max_digits=7, decimal_places=2)
    remaining = DecimalField(max_digits=7, decimal_places=2)


class LeaveBalanceSerializer(serializers.Serializer):  # type: ignore[type-arg]
    """The hours of `kind` (default vacation) in `year`: entitled, approved, still requested,
    remaining (entitled − approved); `kinds` holds the same for every kind."""

    employee = serializers.IntegerField()
    year = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=LeaveKind.choices)
    entitled = DecimalField(max_digits=7, decimal_places=2)
    approved = DecimalField(max_digits=7, decimal_places=2)
    requested = DecimalField(max_digits=7, decimal_places=2)
    remaining = DecimalField(max_digits=7, decimal_places=2)
    kinds = BalanceSerializer(many=True)


class BalanceQuerySerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    year = serializers.IntegerField(min_value=1900, max_value=2199, required=False)
    kind = serializers.ChoiceField(choices=LeaveKind.choices, default=LeaveKind.VACATION)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs.setdefault("year", timezone.localdate().year)
        return attrs


class SimulateCoverageSerializer(serializers.Serializer):  # type: ignore[type-arg]
    position = serializers.IntegerField()
    position_code = serializers.CharField()
    week = serializers.CharField()
    week_start = serializers.DateField()
    required = DecimalField(max_digits=9, decimal_places=2)  # type: ignore[assignment]
    assigned_before = DecimalField(max_digits=9, decimal_places=2)
    assigned_after = DecimalField(max_digits=9, decimal_places=2)
    gap_before = DecimalField(max_digits=9, decimal_places=2)
    gap_after = DecimalField(max_digits=9, decimal_places=2)
    leave_hours_lost_after = DecimalField(max_digits=9, decimal_places=2)


@extend_schema_serializer(component_name="LeaveSimulateResult")
class SimulateResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    employee = serializers.IntegerField()
    kind = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    hours = DecimalField(max_digits=7, decimal_places=2)
    hours_per_week = DecimalField(max_digits=6, decimal_places=2)
    violations = ViolationSerializer(many=True)
    blocked = serializers.BooleanField()
    balance_before = BalanceSerializer()
    balance_after = BalanceSerializer()
    coverage = SimulateCoverageSerializer(many=True)
    positions_not_shown = serializers.IntegerField(
        help_text="Positions the employee is assigned to that the caller may not see: weighed "
        "by the rules and gap_opened_hours, not listed."
    )
    gap_opened_hours = DecimalField(max_digits=12, decimal_places=2)


class EntitlementSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    employee_name = serializers.SerializerMethodField()

    class Meta:
        model = LeaveEntitlement
        fields = ("id", "employee", "employee_name", "year", "kind", "hours", "note")
        read_only_fields = fields

    def get_employee_name(self, obj: LeaveEntitlement) -> str:
        return f"{obj.employee.first_name} {obj.employee.last_name}"


class EntitlementWriteSerializer(
    StrictInputMixin,
    ScopedRelationsMixin,
    serializers.ModelSerializer,  # type: ignore[type-arg]
):
    scoped_relations = {"employee": employee_list}
    year = serializers.IntegerField(min_value=1900, max_value=2199)
    hours = DecimalField(
        max_digits=7, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("9000")
    )

    class Meta:
        model = LeaveEntitlement
        fields = ("id", "employee", "year", "kind", "hours", "note")
        read_only_fields = ("id",)
        # Uniqueness is the service's (409), not a 400 here.
        validators: list[Any] = []
