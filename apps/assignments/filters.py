"""Query filters for assignments."""

import django_filters

from apps.assignments.models import Assignment
from apps.org.filters import SubtreeFilter


class AssignmentFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=Assignment._meta.get_field("state").choices  # type: ignore[union-attr]
    )
    org_unit = SubtreeFilter("position__org_unit__path")
    active_on = django_filters.DateFilter(method="filter_active_on", label="Running on this date")

    class Meta:
        model = Assignment
        fields = ("employee", "position", "state", "org_unit")

    def filter_active_on(self, qs, name, value):  # type: ignore[no-untyped-def]
        return qs.filter(start_date__lte=value).exclude(end_date__lt=value)
