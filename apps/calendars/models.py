"""Working calendars (DESIGN.md §8): the hours of a normal week, day by day, and the days that
differ from it (public holidays, closures, half days, extra days)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from apps.core.capture import Tracking
from apps.core.constraints import unique_ignoring_case

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_DAY_HOURS = Decimal("24")
DAY_HOURS_VALIDATORS = [MinValueValidator(Decimal("0")), MaxValueValidator(MAX_DAY_HOURS)]
# The dates a calendar's exceptions may fall on (and so an iCalendar export can write).
FIRST_DATE, LAST_DATE = dt.date(1900, 1, 1), dt.date(2199, 12, 31)
DATE_VALIDATORS = [MinValueValidator(FIRST_DATE), MaxValueValidator(LAST_DATE)]


def mon_to_fri_8h() -> list[Decimal]:
    return [Decimal("8")] * 5 + [Decimal("0")] * 2


def week_hours_errors(week_hours: list[Decimal] | None) -> list[str]:
    """What is wrong with a weekly pattern (empty: nothing)."""
    if week_hours is None or len(week_hours) != 7:
        return ["Seven days of hours, Monday first."]
    errors = [
        f"{WEEKDAYS[i]}: {hours} is not between 0 and 24 hours."
        for i, hours in enumerate(week_hours)
        if not (Decimal("0") <= hours <= MAX_DAY_HOURS)
    ]
    if not errors and sum(week_hours) <= 0:
        errors.append("A working week has some working hours.")
    return errors


class WorkCalendar(models.Model):
    """The hours of a normal week, Monday first, and (in its days) the dates that differ.

    `country` / `subdivision` say which public holidays were generated into it (the `holidays`
    package's codes), if any."""

    audit_tracking: ClassVar[Tracking] = Tracking("work_calendar")

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    country = models.CharField(max_length=3, blank=True, default="")
    subdivision = models.CharField(max_length=64, blank=True, default="")
    week_hours = ArrayField(
        models.DecimalField(max_digits=4, decimal_places=2, validators=DAY_HOURS_VALIDATORS),
        size=7,
        default=mon_to_fri_8h,
        help_text="Working hours Monday to Sunday (7 numbers, 0-24 each).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("code",)
        constraints = [
            unique_ignoring_case(
                "code",
                name="workcalendar_code_ci_unique",
                message="A calendar with this code exists (codes ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name})"

    @property
    def normal_week_hours(self) -> Decimal:
        return sum(self.week_hours, Decimal("0"))

    def clean(self) -> None:
        errors = week_hours_errors(self.week_hours)
        if errors:
            raise ValidationError({"week_hours": errors})


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", "Public holiday"
    CLOSURE = "closure", "Closure"
    HALF_DAY = "half_day", "Half day"
    EXTRA = "extra", "Extra working day"


class DaySource(models.TextChoices):
    MANUAL = "manual", "Entered"
    HOLIDAYS = "holidays", "Generated (holidays package)"
    ICS = "ics", "Imported (iCalendar)"


class CalendarDay(models.Model):
    """A date on which the calendar's hours are not the normal week's: `hours` that day."""

    audit_tracking: ClassVar[Tracking] = Tracking(
        "calendar_day", subject_type="work_calendar", subject_column="calendar_id"
    )

    calendar = models.ForeignKey(WorkCalendar, on_delete=models.CASCADE, related_name="days")
    date = models.DateField(validators=DATE_VALIDATORS)
    hours = models.DecimalField(
        max_digits=4,
        decimal_places=2,
        validators=DAY_HOURS_VALIDATORS,
        help_text="Working hours that day (0 for a holiday or closure).",
    )
    name = models.CharField(max_length=200, blank=True, default="")
    kind = models.CharField(max_length=16, choices=DayKind.choices, default=DayKind.HOLIDAY)
    source = models.CharField(max_length=16, choices=DaySource.choices, default=DaySource.MANUAL)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("calendar", "date")
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "date"],
                name="calendarday_one_per_date",
                violation_error_message="This calendar has an exception on this date already.",
            ),
            models.CheckConstraint(
                condition=models.Q(hours__gte=0, hours__lte=24),
                name="calendarday_hours_0_to_24",
                violation_error_message="Hours are between 0 and 24.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} ({self.hours} h)"
