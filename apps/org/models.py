"""The organisation: a tree of org units, the positions they hold and their employees."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django_fsm import FSMModelMixin

from apps.core.capture import Tracking
from apps.core.constraints import DateRangeConstraint, unique_ignoring_case
from apps.fsm.mixins import EmployeeFSMMixin, employee_state_field
from apps.org.scope import ScopedQuerySet, Visibility


class OrgUnit(models.Model):
    """A unit of the organisation; `path` (materialized ids, "/1/4/9/") makes subtrees one query."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("org_unit")

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=1024, db_index=True, editable=False, default="")
    active = models.BooleanField(default=True)
    calendar = models.ForeignKey(
        "calendars.WorkCalendar",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="org_units",
        help_text="The working calendar of the unit and of the units below it that name none.",
    )
    updated_at = models.DateTimeField(auto_now=True)
    # A manager's scope: `user.scope` is the units whose subtrees the user looks after.
    managers: models.ManyToManyField[Any, ManagerScope] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="ManagerScope",
        blank=True,
        related_name="scope",
        help_text="Managers see and change what belongs to these units and their subtrees.",
    )

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("path",))

    class Meta:
        ordering = ("path",)
        indexes = [
            models.Index(
                fields=["path"], name="orgunit_path_like", opclasses=["varchar_pattern_ops"]
            ),
        ]
        constraints = [
            unique_ignoring_case(
                "code",
                name="orgunit_code_ci_unique",
                message="An org unit with this code exists (codes ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def effective_calendar_id(self) -> int | None:
        """The calendar of the unit, or of its nearest ancestor that names one (None: no
        calendar up the tree). Lists annotate it (`selectors.with_effective_calendar`)."""
        if "inherited_calendar_id" in self.__dict__:
            return self.__dict__["inherited_calendar_id"]  # type: ignore[no-any-return]
        ancestors = [int(part) for part in self.path.strip("/").split("/") if part]
        found = (
            OrgUnit.objects.filter(pk__in=ancestors, calendar__isnull=False)
            .order_by("-path")
            .values_list("calendar_id", flat=True)
            .first()
        )
        return found


class ManagerScope(models.Model):
    """An org unit whose subtree a manager looks after."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking(
        "user", id_column="user_id", member_of="scope", value_column="org_unit_id"
    )

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scope_links"
    )
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "org_unit"], name="unique_manager_scope")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.org_unit}"


class Position(models.Model):
    """A job in an org unit that demands `weekly_hours` each week it is open."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("position")

    code = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="positions")
    weekly_hours = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    active = models.BooleanField(default=True)
    closes_on_holidays = models.BooleanField(
        default=False,
        help_text="Demand follows the unit's working calendar (none on a public holiday, less "
        "on a half day). Off: the position needs its hours every day it is open, and a "
        "holiday shows as a gap.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("org_unit__path",))

    class Meta:
        ordering = ("code",)
        constraints = [
            unique_ignoring_case(
                "code",
                name="position_code_ci_unique",
                message="A position with this code exists (codes ignore case).",
            ),
            DateRangeConstraint(
                start="start_date",
                end="end_date",
                open_end=True,
                name="position_end_after_start",
                violation_error_message="The end date is before the start date.",
            ),
            models.CheckConstraint(
                condition=models.Q(weekly_hours__gte=0), name="position_hours_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Employee(FSMModelMixin, EmployeeFSMMixin, models.Model):
    """A person employed (or about to be) for `contract_hours` a week; `state` is the lifecycle."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("employee")

    employee_number = models.CharField(max_length=32, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, default="")
    org_unit = models.ForeignKey(OrgUnit, on_delete=models.PROTECT, related_name="employees")
    contract_hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("168"))],
    )
    hire_date = models.DateField()
    termination_date = models.DateField(null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="employee",
    )
    state = employee_state_field()
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedQuerySet.as_manager()
    visibility = Visibility(units=("org_unit__path",), owner="user")

    class Meta:
        ordering = ("last_name", "first_name", "id")
        indexes = [
            # The list's order: pages come from the index instead of sorting every employee.
            models.Index(fields=["last_name", "first_name", "id"], name="employee_name_order"),
        ]
        constraints = [
            unique_ignoring_case(
                "employee_number",
                name="employee_number_ci_unique",
                message="An employee with this employee number exists (numbers ignore case).",
            ),
            DateRangeConstraint(
                start="hire_date",
                end="termination_date",
                open_end=True,
                name="employee_termination_after_hire",
                violation_error_message="The termination date is before the hire date.",
            ),
            models.CheckConstraint(
                condition=models.Q(contract_hours__gte=0) & models.Q(contract_hours__lte=168),
                name="employee_contract_hours_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_number} {self.first_name} {self.last_name}"


class HoursVersion(models.Model):
    """Base of a dated figure: hours a week valid from a day until the next version starts.

    Append-only: a correction is a new version; for the same `valid_from` the latest recorded
    (`recorded_at`, then id) wins. The services write them; nothing updates or deletes one.
    """

    valid_from = models.DateField()
    note = models.TextField(blank=True, default="")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The database's clock, so that "latest recorded" does not depend on a worker's clock.
    recorded_at = models.DateTimeField(db_default=Now(), editable=False)

    # The field of the subject (an Employee or a Position) the versions belong to.
    subject_field: str

    class Meta:
        abstract = True


class ContractHours(HoursVersion):
    """A version of an employee's contract hours a week (DESIGN.md §7, dated master data)."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking(
        "contract_hours", subject_type="employee", subject_column="employee_id"
    )

    employee = models.ForeignKey(
        Employee, on_delete=models.PROTECT, related_name="contract_hours_versions"
    )
    hours = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("168"))],
    )

    subject_field = "employee"

    class Meta:
        ordering = ("-valid_from", "-recorded_at", "-id")
        verbose_name = "contract hours version"
        verbose_name_plural = "contract hours versions"
        indexes = [
            models.Index(
                fields=["employee", "valid_from", "recorded_at", "id"],
                name="contract_hours_in_force",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gte=0) & models.Q(hours__lte=168),
                name="contract_hours_version_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id}: {self.hours} h/wk from {self.valid_from}"


class WeeklyHours(HoursVersion):
    """A version of the hours a position demands each week (DESIGN.md §7, dated master data)."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking(
        "weekly_hours", subject_type="position", subject_column="position_id"
    )

    position = models.ForeignKey(
        Position, on_delete=models.PROTECT, related_name="weekly_hours_versions"
    )
    hours = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    subject_field = "position"

    class Meta:
        ordering = ("-valid_from", "-recorded_at", "-id")
        verbose_name = "weekly hours version"
        verbose_name_plural = "weekly hours versions"
        indexes = [
            models.Index(
                fields=["position", "valid_from", "recorded_at", "id"],
                name="weekly_hours_in_force",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gte=0), name="weekly_hours_version_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.position_id}: {self.hours} h/wk from {self.valid_from}"
