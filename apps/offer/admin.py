"""The hours ledger in the Django admin: read-only rows, corrections by the reverse action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from rest_framework.exceptions import APIException

from apps.core.admin import ReadOnlyAdmin, register_panel
from apps.offer import services
from apps.offer.charts import employee_chart
from apps.offer.models import LedgerEntry
from apps.org.models import Employee
from apps.users.permissions import acting_user


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyAdmin):
    """Entries are append-only: this page shows them and appends reversals, nothing else."""

    list_display = (
        "at",
        "employee",
        "kind",
        "start_date",
        "end_date",
        "hours_per_week",
        "actor",
        "reverses",
    )
    list_filter = ("kind",)
    search_fields = ("employee__employee_number", "employee__last_name", "note", "request_id")
    date_hierarchy = "at"
    list_select_related = ("employee", "actor", "reverses")
    actions = ("reverse_entries",)

    @admin.action(description="Reverse the selected entries (append corrections)")
    def reverse_entries(self, request: HttpRequest, queryset: QuerySet[LedgerEntry]) -> None:
        done = 0
        for entry in queryset.order_by("id"):
            try:
                services.ledger_entry_reverse(
                    entry=entry, actor=acting_user(request), note="Reversed in the Django admin"
                )
                done += 1
            except APIException as exc:
                self.message_user(request, f"Entry {entry.pk}: {exc.detail}", messages.ERROR)
        if done:
            self.message_user(request, f"{done} entries reversed.", messages.SUCCESS)


@admin.display(description="coming 12 weeks")
def employee_coming_weeks(obj: Employee) -> SafeString | str:
    """Supply vs assigned hours of the employee, as a chart."""
    return employee_chart(obj) if obj.pk else "–"


register_panel(Employee, employee_coming_weeks)
