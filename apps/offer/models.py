"""The hours ledger: append-only, hash-chained changes to an employee's weekly supply."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.constraints import DateRangeConstraint
from apps.fsm.models import HashChainedLog
from apps.org.scope import ScopedQuerySet, Visibility


class LedgerKind(models.TextChoices):
    LEAVE = "leave", "Leave"
    EXTRA_AVAILABILITY = "extra_availability", "Extra availability"
    ADJUSTMENT = "adjustment", "Adjustment"
    CORRECTION = "correction", "Correction (reversal)"


class LedgerEntry(HashChainedLog):
    """A signed weekly rate of hours over a date range, added to the employee's supply."""

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=24, choices=LedgerKind.choices)
    start_date = models.DateField()
    end_date = models.DateField()
    hours_per_week = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("-168")), MaxValueValidator(Decimal("168"))],
    )
    note = models.TextField(blank=True, default="")
    reverses = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by"
    )

    subject_field = "employee"
    hashed_fields = ("kind", "start_date", "end_date", "hours_per_week", "note", "reverses_id")

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("employee__org_unit__path",), owner="employee__user")

    class Meta:
        ordering = ("-at", "-id")
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["employee", "start_date"], name="ledger_employee_start"),
            models.Index(fields=["employee", "id"], name="ledger_employee_id"),
        ]
        constraints = [
            DateRangeConstraint(
                start="start_date",
                end="end_date",
                name="ledger_end_after_start",
                violation_error_message="The end date is before the start date.",
            ),
            models.CheckConstraint(
                condition=models.Q(hours_per_week__gte=-168) & models.Q(hours_per_week__lte=168),
                name="ledger_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.kind} {self.hours_per_week} h/wk {self.start_date}…"
