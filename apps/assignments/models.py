"""Assignments: an employee working `weekly_hours` on a position over a date range."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_fsm import FSMField, FSMModelMixin, transition

from apps.core.capture import Tracking
from apps.core.constraints import DateRangeConstraint
from apps.fsm.models import TransitionLog
from apps.fsm.states import AssignmentState as S
from apps.org.scope import ScopedQuerySet, Visibility


class Assignment(FSMModelMixin, models.Model):
    """proposed → approved → active → ended; proposed|approved → cancelled; proposed → rejected."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("assignment")

    employee = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="assignments"
    )
    position = models.ForeignKey(
        "org.Position", on_delete=models.PROTECT, related_name="assignments"
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    weekly_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("168"))],
    )
    state = FSMField(default=S.PROPOSED, choices=S.choices, protected=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(
        units=("position__org_unit__path", "employee__org_unit__path"), owner="employee__user"
    )

    class Meta:
        ordering = ("-start_date", "-id")
        indexes = [
            models.Index(fields=["employee", "start_date"], name="assignment_employee_start"),
            models.Index(fields=["position", "start_date"], name="assignment_position_start"),
        ]
        constraints = [
            DateRangeConstraint(
                start="start_date",
                end="end_date",
                open_end=True,
                name="assignment_end_after_start",
                violation_error_message="The end date is before the start date.",
            ),
            models.CheckConstraint(
                condition=models.Q(weekly_hours__gt=0) & models.Q(weekly_hours__lte=168),
                name="assignment_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.employee_id}→{self.position_id} {self.state}"

    @transition(field=state, source=S.PROPOSED, target=S.APPROVED)
    def approve(self) -> None:
        """A manager or HR admin agrees to the assignment."""

    @transition(field=state, source=S.APPROVED, target=S.ACTIVE)
    def activate(self) -> None:
        """The employee starts working on the position."""

    @transition(field=state, source=S.ACTIVE, target=S.ENDED)
    def end(self) -> None:
        """The assignment ends today, unless it was set to end earlier."""
        today = timezone.localdate()
        if self.end_date is None or self.end_date > today:
            self.end_date = max(today, self.start_date)

    @transition(field=state, source=[S.PROPOSED, S.APPROVED], target=S.CANCELLED)
    def cancel(self) -> None:
        """Called off before it started."""

    @transition(field=state, source=S.PROPOSED, target=S.REJECTED)
    def reject(self) -> None:
        """The proposal is turned down."""


class AssignmentTransitionLog(TransitionLog):
    """The lifecycle history of an assignment."""

    subject = models.ForeignKey(
        Assignment, on_delete=models.PROTECT, related_name="transition_logs"
    )

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["subject", "id"], name="asg_log_subject_id")]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.from_state} → {self.to_state} ({self.transition})"
