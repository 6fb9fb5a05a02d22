"""Query filters for tags, employee and position tags, and the tag change log."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from apps.org.filters import SubtreeFilter
from apps.tags.models import (
    EmployeeTag,
    PositionTag,
    Requirement,
    SubjectType,
    TagAction,
    TagCatalog,
    TagChangeLog,
)


class TagFilter(django_filters.FilterSet):
    class Meta:
        model = TagCatalog
        fields = ("active", "category")


class EmployeeTagFilter(django_filters.FilterSet):
    org_unit = SubtreeFilter("employee__org_unit__path")
    category = django_filters.CharFilter(field_name="tag__category")
    min_level = django_filters.NumberFilter(field_name="level", lookup_expr="gte")
    valid_on = django_filters.DateFilter(method="filter_valid_on", label="Valid on this date")
    expires_before = django_filters.DateFilter(
        field_name="valid_until", lookup_expr="lt", label="Expires before this date"
    )

    class Meta:
        model = EmployeeTag
        fields = ("employee", "tag", "level", "org_unit", "category")

    def filter_valid_on(
        self, qs: QuerySet[EmployeeTag], name: str, value: dt.date
    ) -> QuerySet[EmployeeTag]:
        return qs.filter(
            Q(valid_from__lte=value), Q(valid_until__isnull=True) | Q(valid_until__gte=value)
        )


class PositionTagFilter(django_filters.FilterSet):
    org_unit = SubtreeFilter("position__org_unit__path")
    requirement = django_filters.ChoiceFilter(choices=Requirement.choices)

    class Meta:
        model = PositionTag
        fields = ("position", "tag", "requirement", "org_unit")


class TagChangeFilter(django_filters.FilterSet):
    """`since` / `until` take a date (whole days) or a date and time."""

    subject_type = django_filters.ChoiceFilter(choices=SubjectType.choices)
    subject_id = django_filters.NumberFilter()
    action = django_filters.ChoiceFilter(choices=TagAction.choices)
    actor = django_filters.NumberFilter(field_name="actor_id")
    since = django_filters.DateTimeFilter(method="filter_since", label="At or after")
    until = django_filters.DateTimeFilter(method="filter_until", label="At or before")

    class Meta:
        model = TagChangeLog
        fields = ("subject_type", "subject_id", "tag", "action", "actor", "since", "until")

    def filter_since(self, qs: QuerySet[Any], name: str, value: dt.datetime) -> QuerySet[Any]:
        return qs.filter(at__gte=value)

    def filter_until(self, qs: QuerySet[Any], name: str, value: dt.datetime) -> QuerySet[Any]:
        raw = str(self.data.get("until", ""))
        if len(raw) == len("2026-01-31"):  # a date: the whole of that day
            return qs.filter(at__lt=value + dt.timedelta(days=1))
        return qs.filter(at__lte=value)
