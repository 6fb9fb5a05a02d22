"""Leave requests (DESIGN §11): an employee asks for time off, a manager approves it, and the
approval writes the hours ledger's `leave` entry in the same transaction; entitlements per
employee, year and kind."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.capture import Tracking
from apps.core.constraints import DateRangeConstraint
from apps.fsm.models import TransitionLog
from apps.org.scope import ScopedQuerySet, Visibility


class LeaveKind(models.TextChoices):
    VACATION = "vacation", "Vacation"
    SICK = "sick", "Sick leave"
    UNPAID = "unpaid", "Unpaid leave"
    OTHER = "other", "Other"


class LeaveState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"


# Requests that hold their days: a new one may not overlap them.
OPEN_STATES = (LeaveState.REQUESTED, LeaveState.APPROVED)


class LeaveRequest(FSMModelMixin, models.Model):
    """requested → approved | rejected; requested | approved → cancelled."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("leave_request")

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="leave_requests"
    )
    kind = models.CharField(max_length=16, choices=LeaveKind.choices, default=LeaveKind.VACATION)
    start_date = models.DateField()
    end_date = models.DateField()
    # The hours the leave takes: what the employee's contract delivers over the days by their
    # calendar (1/7 of a week a day without one), unless given.
    hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("9000"))],
    )
    hours_given = models.BooleanField(default=False)
    note = models.TextField(blank=True, default="")
    state = FSMField(
        default=LeaveState.REQUESTED, choices=LeaveState.choices, protected=True, db_index=True
    )
    # The ledger entry the approval wrote (reversed when an approved request is cancelled).
    ledger_entry = models.OneToOneField(
        "offer.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leave_request",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("employee__org_unit__path",), owner="employee__user")

    class Meta:
        ordering = ("-start_date", "-id")
        indexes = [
            models.Index(fields=["employee", "start_date"], name="leave_employee_start"),
            models.Index(fields=["start_date", "end_date"], name="leave_dates"),
        ]
        constraints = [
            DateRangeConstraint(
                start="start_date",
                end="end_date",
                name="leave_end_after_start",
                violation_error_message="The end date is before the start date.",
            ),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="leave_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.employee_id} {self.kind} {self.start_date}…{self.end_date}"

    @property
    def year(self) -> int:
        return self.start_date.year

    @transition(field=state, source=LeaveState.REQUESTED, target=LeaveState.APPROVED)
    def approve(self) -> None:
        """A manager in scope or an HR admin grants the leave (the ledger entry is written)."""

    @transition(field=state, source=LeaveState.REQUESTED, target=LeaveState.REJECTED)
    def reject(self) -> None:
        """The request is turned down."""

    @transition(
        field=state, source=[LeaveState.REQUESTED, LeaveState.APPROVED], target=LeaveState.CANCELLED
    )
    def cancel(self) -> None:
        """Withdrawn (an approved one's ledger entry is reversed)."""


class LeaveTransitionLog(TransitionLog):
    """The lifecycle history of a leave request."""

    subject = models.ForeignKey(
        LeaveRequest, on_delete=models.PROTECT, related_name="transition_logs"
    )

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["subject", "id"], name="leave_log_subject_id")]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.from_state} → {self.to_state} ({self.transition})"


class LeaveEntitlement(models.Model):
    """The hours of leave of a kind an employee is entitled to in a calendar year."""

    audit_tracking: ClassVar[Tracking] = Tracking(
        "leave_entitlement", subject_type="employee", subject_column="employee_id"
    )

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="leave_entitlements"
    )
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1900), MaxValueValidator(2199)]
    )
    kind = models.CharField(max_length=16, choices=LeaveKind.choices, default=LeaveKind.VACATION)
    hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("9000"))],
    )
    note = models.TextField(blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("employee__org_unit__path",), owner="employee__user")

    class Meta:
        ordering = ("-year", "employee_id", "kind")
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "year", "kind"],
                name="leave_entitlement_unique",
                violation_error_message="This employee already has an entitlement of this kind "
                "for this year.",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gte=0), name="leave_entitlement_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.year} {self.kind}: {self.hours} h"
