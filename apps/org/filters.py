"""Query filters for the organisation's lists."""

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.org.models import Employee, OrgUnit, Position


@extend_schema_field(OpenApiTypes.INT)
class SubtreeFilter(django_filters.ModelChoiceFilter):
    """`?org_unit=ID` keeps rows whose org unit is that unit or below it."""

    def __init__(self, path_lookup: str, **kwargs: object) -> None:
        kwargs.setdefault("queryset", OrgUnit.objects.all())
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.path_lookup = path_lookup

    def filter(self, qs, value):  # type: ignore[no-untyped-def]
        if not value:
            return qs
        return qs.filter(**{f"{self.path_lookup}__startswith": value.path})


class OrgUnitFilter(django_filters.FilterSet):
    parent = django_filters.ModelChoiceFilter(queryset=OrgUnit.objects.all())
    within = SubtreeFilter("path", label="Units in this unit's subtree")

    class Meta:
        model = OrgUnit
        fields = ("active", "parent", "within")


class PositionFilter(django_filters.FilterSet):
    org_unit = SubtreeFilter("org_unit__path")
    open_on = django_filters.DateFilter(method="filter_open_on", label="Open on this date")

    class Meta:
        model = Position
        fields = ("active", "org_unit")

    def filter_open_on(self, qs, name, value):  # type: ignore[no-untyped-def]
        return qs.filter(start_date__lte=value).exclude(end_date__lt=value)


class EmployeeFilter(django_filters.FilterSet):
    org_unit = SubtreeFilter("org_unit__path")
    state = django_filters.MultipleChoiceFilter(choices=Employee._meta.get_field("state").choices)
    hired_after = django_filters.DateFilter(field_name="hire_date", lookup_expr="gte")
    hired_before = django_filters.DateFilter(field_name="hire_date", lookup_expr="lte")

    class Meta:
        model = Employee
        fields = ("org_unit", "state", "user")
