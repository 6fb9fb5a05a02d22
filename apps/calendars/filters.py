"""Query filters for calendar days: by calendar, kind and a date range (`from`, `to`)."""

from __future__ import annotations

import django_filters

from apps.calendars.models import CalendarDay


class CalendarDayFilter(django_filters.FilterSet):
    # `from` is a Python keyword: declared through the class namespace.
    vars()["from"] = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label="On or after this date"
    )
    to = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label="On or before this date"
    )

    class Meta:
        model = CalendarDay
        fields = ("calendar", "kind", "source")
