"""Working calendars in the Django admin: the calendars, and their days on a page of their own
(paginated, filtered by calendar), written through the services (so every change is recorded
with the admin as the actor)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.calendars import services
from apps.calendars.models import CalendarDay, WorkCalendar
from apps.core.admin import RecordedHistoryMixin

CALENDAR_FIELDS = ("code", "name", "week_hours")
DAY_FIELDS = ("date", "kind", "hours", "name")


@admin.register(WorkCalendar)
class WorkCalendarAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "week_hours", "country", "subdivision", "updated_at")
    search_fields = ("code", "name")
    readonly_fields = ("country", "subdivision")

    def save_model(self, request: HttpRequest, obj: WorkCalendar, form: Any, change: bool) -> None:
        fields = {n: form.cleaned_data[n] for n in CALENDAR_FIELDS if n in form.cleaned_data}
        if change:
            saved = services.calendar_update(calendar=obj, actor=request.user, **fields)
        else:
            saved = services.calendar_create(actor=request.user, **fields)
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # org units name calendars


@admin.register(CalendarDay)
class CalendarDayAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """The days of every calendar, paginated and filtered by calendar (a calendar may hold
    thousands: not an inline on its page)."""

    list_display = ("date", "calendar", "kind", "hours", "name", "source")
    list_filter = ("calendar", "kind", "source")
    search_fields = ("name",)
    date_hierarchy = "date"
    fields = ("calendar", *DAY_FIELDS, "source")
    readonly_fields = ("source",)
    list_select_related = ("calendar",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("calendar", "source") if obj is not None else ("source",)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        fields = {n: form.cleaned_data[n] for n in DAY_FIELDS if n in form.cleaned_data}
        if change:
            saved = services.calendar_day_update(day=obj, actor=request.user, **fields)
        else:
            saved = services.calendar_day_create(
                calendar=form.cleaned_data["calendar"], actor=request.user, **fields
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        services.calendar_day_delete(day=obj, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        for day in queryset:
            services.calendar_day_delete(day=day, actor=request.user)
