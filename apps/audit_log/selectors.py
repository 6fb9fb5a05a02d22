"""Reads of the audit stream, from the read replica when one is configured."""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet

from apps.audit_log.models import AuditEntry
from apps.core.db import read_alias


def audit_entries() -> QuerySet[AuditEntry]:
    """Every log row, newest first (ties broken by source and row id: a total order)."""
    return (
        AuditEntry.objects.using(read_alias())
        .select_related("actor")
        .order_by("-at", "-source", "-source_id")
    )


def subject_history(*, entity_type: str, entity_id: int) -> QuerySet[AuditEntry]:
    """Every log row about one subject, newest first: its own, and those of what belongs to it
    (an employee's contract-hours versions and tags, a position's requirements)."""
    return audit_entries().filter(
        Q(entity_type=entity_type, entity_id=entity_id)
        | Q(subject_type=entity_type, subject_id=entity_id)
    )


def entity_type_of(model: type[Model]) -> str:
    """The entity type a model's rows are recorded as (its model name when not tracked)."""
    tracking = getattr(model, "audit_tracking", None)
    return tracking.entity_type if tracking is not None else model._meta.model_name or ""
