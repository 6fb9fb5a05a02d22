"""Filters of the audit stream."""

import django_filters

from apps.audit_log.models import Action, AuditEntry, EntityType


class AuditEntryFilter(django_filters.FilterSet):
    entity_type = django_filters.ChoiceFilter(choices=EntityType.choices)
    entity_id = django_filters.NumberFilter()
    action = django_filters.ChoiceFilter(choices=Action.choices)
    actor = django_filters.NumberFilter(field_name="actor_id")
    transition = django_filters.CharFilter()
    source = django_filters.CharFilter()
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = (
            "entity_type",
            "entity_id",
            "action",
            "actor",
            "transition",
            "source",
            "since",
            "until",
        )
