"""Coverage requirements: a position's demanded hours over a date range; the coverage report."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.capture import Tracking
from apps.core.constraints import DateRangeConstraint
from apps.org.models import OrgUnit
from apps.org.scope import ScopedQuerySet, Visibility


class CoverageRequirement(models.Model):
    """Overrides the position's `weekly_hours` on the days of its range."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking(
        "coverage_requirement", subject_type="position", subject_column="position_id"
    )

    position = models.ForeignKey(
        "org.Position", on_delete=models.CASCADE, related_name="requirements"
    )
    start_date = models.DateField()
    end_date = models.DateField()
    required_hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10000"))],
        help_text="Hours per week demanded on the days of the range.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("position__org_unit__path",))

    class Meta:
        ordering = ("position", "start_date")
        indexes = [models.Index(fields=["position", "start_date"], name="requirement_pos_start")]
        constraints = [
            DateRangeConstraint(
                start="start_date",
                end="end_date",
                name="requirement_end_after_start",
                violation_error_message="The end date is before the start date.",
            ),
            models.CheckConstraint(
                condition=models.Q(required_hours__gte=0), name="requirement_hours_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position_id}: {self.required_hours} h/wk {self.start_date}–{self.end_date}"


class CoverageReport(OrgUnit):
    """The admin's coverage page of an org unit: a proxy, so that the page is listed, linked and
    permission-checked by the admin like a model, without a table of its own."""

    class Meta:
        proxy = True
        verbose_name = "coverage report"
        verbose_name_plural = "coverage report"
        default_permissions = ("view",)
