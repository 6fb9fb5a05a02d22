"""Tags: a catalogue of skills and certifications, the ones employees hold (at a level, for a
period), the ones positions require or prefer, and the append-only log of every change."""

from __future__ import annotations

from typing import ClassVar

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.capture import Tracking
from apps.core.constraints import DateRangeConstraint, unique_ignoring_case
from apps.fsm.models import HashChainedLog
from apps.org.scope import ScopedQuerySet, Visibility

LEVEL_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class TagCatalog(models.Model):
    """A skill, certification, licence or language that employees may hold and positions need."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("tag")

    code = models.SlugField(max_length=64, unique=True)
    label = models.CharField(max_length=200)
    category = models.CharField(
        max_length=64, db_index=True, help_text="e.g. certification, skill, licence, language"
    )
    description = models.TextField(blank=True, default="")
    active = models.BooleanField(
        default=True, help_text="Inactive tags stay where they are but cannot be newly attached."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("category", "code")
        verbose_name = "tag"
        verbose_name_plural = "tag catalogue"
        constraints = [
            unique_ignoring_case(
                "code",
                name="tag_code_ci_unique",
                message="A tag with this code exists (codes ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.label})"


class EmployeeTag(models.Model):
    """An employee holds a tag at a level (1–5) from `valid_from`, until `valid_until` if set."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking(
        "employee_tag", subject_type="employee", subject_column="employee_id"
    )

    employee = models.ForeignKey("org.Employee", on_delete=models.PROTECT, related_name="tags")
    tag = models.ForeignKey(TagCatalog, on_delete=models.PROTECT, related_name="employee_tags")
    level = models.PositiveSmallIntegerField(validators=LEVEL_VALIDATORS)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True, help_text="Empty: does not expire.")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("employee__org_unit__path",), owner="employee__user")

    class Meta:
        ordering = ("employee", "tag__code", "valid_from")
        indexes = [models.Index(fields=["employee", "tag"], name="employeetag_employee_tag")]
        constraints = [
            models.UniqueConstraint(
                fields=["employee", "tag", "valid_from"], name="employeetag_unique_from"
            ),
            models.CheckConstraint(
                condition=models.Q(level__gte=1) & models.Q(level__lte=5),
                name="employeetag_level_range",
            ),
            DateRangeConstraint(
                start="valid_from",
                end="valid_until",
                open_end=True,
                name="employeetag_until_after_from",
                violation_error_message="valid_until is before valid_from.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.tag_id} L{self.level} from {self.valid_from}"


class Requirement(models.TextChoices):
    REQUIRED = "required", "Required"
    PREFERRED = "preferred", "Preferred"


class PositionTag(models.Model):
    """A position requires (or prefers) a tag at `min_level` or above."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking(
        "position_tag", subject_type="position", subject_column="position_id"
    )

    position = models.ForeignKey("org.Position", on_delete=models.PROTECT, related_name="tags")
    tag = models.ForeignKey(TagCatalog, on_delete=models.PROTECT, related_name="position_tags")
    requirement = models.CharField(
        max_length=16, choices=Requirement.choices, default=Requirement.REQUIRED
    )
    min_level = models.PositiveSmallIntegerField(default=1, validators=LEVEL_VALIDATORS)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("position__org_unit__path",))

    class Meta:
        ordering = ("position", "requirement", "tag__code")
        constraints = [
            models.UniqueConstraint(fields=["position", "tag"], name="positiontag_unique"),
            models.CheckConstraint(
                condition=models.Q(min_level__gte=1) & models.Q(min_level__lte=5),
                name="positiontag_level_range",
            ),
            models.CheckConstraint(
                condition=models.Q(requirement__in=Requirement.values),
                name="positiontag_requirement_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position_id}: {self.tag_id} {self.requirement} ≥{self.min_level}"


class SubjectType(models.TextChoices):
    EMPLOYEE = "employee", "Employee"
    POSITION = "position", "Position"


class TagAction(models.TextChoices):
    ADD = "add", "Added"
    CHANGE = "change", "Changed"
    REMOVE = "remove", "Removed"


class TagChangeLog(HashChainedLog):
    """One add, change or remove of an employee's or a position's tag, with the row before and
    after; a hash chain per subject (type and id)."""

    subject_type = models.CharField(max_length=16, choices=SubjectType.choices)
    subject_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=TagAction.choices)
    tag = models.ForeignKey(TagCatalog, on_delete=models.PROTECT, related_name="changes")
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    # `subject_id` is a plain column: the hash payload's "subject" reads it, the type is hashed.
    subject_field = "subject"
    chain_key_fields = ("subject_type", "subject_id")
    hashed_fields = ("subject_type", "action", "tag_id", "before", "after")

    class Meta:
        ordering = ("-at", "-id")
        indexes = [
            models.Index(fields=["subject_type", "subject_id", "id"], name="taglog_subject_id"),
            models.Index(fields=["tag", "at"], name="taglog_tag_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_type__in=SubjectType.values),
                name="taglog_subject_type_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_type} {self.subject_id}: {self.action} {self.tag_id}"
