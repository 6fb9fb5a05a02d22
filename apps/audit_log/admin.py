"""A read-only audit page in the Django admin, with the API's filters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.audit_log.models import AuditEntry
from apps.core.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "at",
        "entity_type",
        "entity_id",
        "transition",
        "from_state",
        "to_state",
        "actor",
        "reason",
        "request_id",
    )
    list_filter = ("entity_type", "source", "transition", ("at", admin.DateFieldListFilter))
    search_fields = ("request_id", "reason", "hash", "=entity_id")
    date_hierarchy = "at"
    list_select_related = ("actor",)
    show_full_result_count = False

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and (user.is_admin or user.is_auditor or user.is_superuser)
        )
