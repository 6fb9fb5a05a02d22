"""API shapes of working calendars, their days, and the holidays and iCalendar actions."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from rest_framework import serializers

from apps.calendars.models import CalendarDay, WorkCalendar, week_hours_errors
from apps.calendars.services import FIRST_YEAR, LAST_YEAR
from apps.core.serializers import DecimalField, StrictInputMixin

CALENDAR_FIELDS = ("id", "code", "name", "country", "subdivision", "week_hours")
DAY_FIELDS = ("id", "calendar", "date", "hours", "name", "kind", "source")


def day_hours(**kwargs: Any) -> DecimalField:
    return DecimalField(
        max_digits=4, decimal_places=2, min_value=Decimal("0"), max_value=Decimal("24"), **kwargs
    )


class WorkCalendarSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    week_hours = serializers.ListField(child=day_hours(), read_only=True)
    normal_week_hours = DecimalField(max_digits=5, decimal_places=2, read_only=True)

    class Meta:
        model = WorkCalendar
        fields = (*CALENDAR_FIELDS, "normal_week_hours")
        read_only_fields = fields


class WorkCalendarWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    week_hours = serializers.ListField(
        child=day_hours(),
        min_length=7,
        max_length=7,
        required=False,
        help_text="Working hours Monday to Sunday: 7 numbers between 0 and 24 "
        "(default 8 h Monday to Friday).",
    )

    class Meta:
        model = WorkCalendar
        fields = CALENDAR_FIELDS
        # Which public holidays it holds is said by holidays/, not typed in.
        read_only_fields = ("id", "country", "subdivision")

    def validate_week_hours(self, value: list[Decimal]) -> list[Decimal]:
        errors = week_hours_errors(value)
        if errors:
            raise serializers.ValidationError(errors)
        return value


class CalendarDaySerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    class Meta:
        model = CalendarDay
        fields = DAY_FIELDS
        read_only_fields = fields


class CalendarDayWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    hours = day_hours(
        required=False,
        help_text="Working hours that day; default 0 for a holiday or closure, half the "
        "weekday's for a half day, the mean working day for an extra day.",
    )

    class Meta:
        model = CalendarDay
        fields = DAY_FIELDS
        read_only_fields = ("id", "source")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        if self.instance is not None and "calendar" in attrs:
            if attrs["calendar"].pk != self.instance.calendar_id:
                raise serializers.ValidationError(
                    {"calendar": ["A day stays in its calendar; delete it and add another."]}
                )
            attrs.pop("calendar")
        return attrs


class HolidaysInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    country = serializers.CharField(
        max_length=3, help_text="ISO 3166-1 alpha-2 code, as the `holidays` package knows it"
    )
    subdivision = serializers.CharField(
        max_length=64,
        required=False,
        default="",
        allow_blank=True,
        help_text="State, province or region code (its regional holidays are included)",
    )
    from_year = serializers.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR)
    to_year = serializers.IntegerField(min_value=FIRST_YEAR, max_value=LAST_YEAR)

    def validate_country(self, value: str) -> str:
        value = value.strip()
        if not re.fullmatch(r"[A-Za-z]{2,3}", value):
            raise serializers.ValidationError("A country code is 2 or 3 letters A-Z.")
        return value.upper()

    def validate_subdivision(self, value: str) -> str:
        return value.strip()


class HolidaysResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    created = serializers.IntegerField(help_text="Holidays added")
    unchanged = serializers.IntegerField(help_text="Dates the calendar had already (left alone)")
    days = CalendarDaySerializer(many=True, help_text="The days added")


class IcsImportResultSerializer(serializers.Serializer):  # type: ignore[type-arg]
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
