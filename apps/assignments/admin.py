"""Assignments in the Django admin, with transition buttons and their read-only log."""

from __future__ import annotations

from django.contrib import admin

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.core.admin import RecordedHistoryMixin
from apps.fsm.admin import ReadOnlyLogAdmin, TransitionAdminMixin


@admin.register(Assignment)
class AssignmentAdmin(RecordedHistoryMixin, TransitionAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("id", "employee", "position", "start_date", "end_date", "weekly_hours", "state")
    list_filter = ("state", "position__org_unit")
    search_fields = ("employee__last_name", "employee__employee_number", "position__code")
    autocomplete_fields = ("employee", "position")
    list_select_related = ("employee", "position")
    date_hierarchy = "start_date"
    readonly_fields = ("created_by",)


@admin.register(AssignmentTransitionLog)
class AssignmentTransitionLogAdmin(ReadOnlyLogAdmin):
    pass
