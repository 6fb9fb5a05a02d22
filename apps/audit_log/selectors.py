"""Reads of the audit stream, from the read replica when one is configured."""

from __future__ import annotations

from django.db.models import QuerySet

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
    """Every log row about one subject, newest first."""
    return audit_entries().filter(entity_type=entity_type, entity_id=entity_id)
