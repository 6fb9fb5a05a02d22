"""Working calendars in the Django admin: each calendar with its days inline, written through
the services (so every change is recorded with the admin as the actor)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.calendars import services
from apps.calendars.models import CalendarDay, WorkCalendar
from apps.core.admin import RecordedHistoryMixin

CALENDAR_FIELDS = ("code", "name", "week_hours")
DAY_FIELDS = ("date", "kind", "hours", "name")


class CalendarDayInline(admin.TabularInline):  # type: ignore[type-arg]
    model = CalendarDay
    extra = 0
    fields = (*DAY_FIELDS, "source")
    readonly_fields = ("source",)
    ordering = ("-date",)


@admin.register(WorkCalendar)
class WorkCalendarAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "week_hours", "country", "subdivision", "updated_at")
    search_fields = ("code", "name")
    readonly_fields = ("country", "subdivision")
    inlines = [CalendarDayInline]

    def save_model(self, request: HttpRequest, obj: WorkCalendar, form: Any, change: bool) -> None:
        fields = {n: form.cleaned_data[n] for n in CALENDAR_FIELDS if n in form.cleaned_data}
        if change:
            saved = services.calendar_update(calendar=obj, actor=request.user, **fields)
        else:
            saved = services.calendar_create(actor=request.user, **fields)
        obj.pk = saved.pk

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        calendar = form.instance
        formset.save(commit=False)  # sorts the rows into new, changed and deleted; writes nothing
        for day in formset.deleted_objects:
            services.calendar_day_delete(day=day, actor=request.user)
        for day, changed in formset.changed_objects:
            fields = {n: getattr(day, n) for n in changed if n in DAY_FIELDS}
            services.calendar_day_update(day=day, actor=request.user, **fields)
        for day in formset.new_objects:
            services.calendar_day_create(
                calendar=calendar,
                actor=request.user,
                **{n: getattr(day, n) for n in DAY_FIELDS},
            )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # org units name calendars
