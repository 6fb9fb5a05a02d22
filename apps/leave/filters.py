"""Query filters for leave requests and entitlements."""

import django_filters

from apps.leave.models import LeaveEntitlement, LeaveRequest
from apps.org.filters import SubtreeFilter


class LeaveRequestFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=LeaveRequest._meta.get_field("state").choices  # type: ignore[union-attr]
    )
    kind = django_filters.MultipleChoiceFilter(
        choices=LeaveRequest._meta.get_field("kind").choices  # type: ignore[union-attr]
    )
    org_unit = SubtreeFilter("employee__org_unit__path")
    # Requests holding any day from `from` to `to` (`from` is a Python keyword: declared
    # through the class namespace).
    vars()["from"] = django_filters.DateFilter(
        field_name="end_date", lookup_expr="gte", label="Ending on or after this date"
    )
    to = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label="Starting on or before this date"
    )

    class Meta:
        model = LeaveRequest
        fields = ("employee", "state", "kind", "org_unit")


class EntitlementFilter(django_filters.FilterSet):
    class Meta:
        model = LeaveEntitlement
        fields = ("employee", "year", "kind")
