"""The organisation in the Django admin. The position and employee pages are extended by
higher apps (apps.core.admin): tags add their inlines, demand and supply their charts.
Positions, employees and their hours versions are written through the services, so that every
change of the hours is a version with the admin as its actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ExtensibleAdminMixin, RecordedHistoryMixin, register_inline
from apps.fsm.admin import TransitionAdminMixin
from apps.fsm.models import EmployeeTransitionLog
from apps.org import services
from apps.org.models import (
    ContractHours,
    Employee,
    HoursVersion,
    ManagerScope,
    OrgUnit,
    Position,
    WeeklyHours,
)
from apps.users.models import User
from apps.users.permissions import acting_user

VERSION_FIELDS = ("valid_from", "hours", "note", "actor", "recorded_at")


def _form_fields(form: forms.ModelForm, *, only_changed: bool) -> dict[str, Any]:  # type: ignore[type-arg]
    names = form.changed_data if only_changed else list(form.cleaned_data)
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


class VersionForm(forms.ModelForm):  # type: ignore[type-arg]
    """A new version: not before the subject's first day (the service's rule, as a form error)."""

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        model: type[HoursVersion] = self._meta.model  # type: ignore[assignment]
        subject = getattr(self.instance, model.subject_field, None)
        start = getattr(subject, "hire_date", None) or getattr(subject, "start_date", None)
        valid_from = data.get("valid_from")
        if start and valid_from and valid_from < start:
            self.add_error("valid_from", "A version cannot start before the hire / start date.")
        return data


class _VersionInline(admin.TabularInline):  # type: ignore[type-arg]
    """The subject's versions, newest first: existing rows are read-only, new ones are added
    through the service (apps.core.admin.register_inline's `save`)."""

    form = VersionForm
    extra = 0
    can_delete = False
    fields = VERSION_FIELDS
    readonly_fields = ("actor", "recorded_at")
    ordering = ("-valid_from", "-recorded_at", "-id")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ContractHoursInline(_VersionInline):
    model = ContractHours
    verbose_name_plural = "contract hours (versions)"


class WeeklyHoursInline(_VersionInline):
    model = WeeklyHours
    verbose_name_plural = "weekly hours (versions)"


def _version_saver(append: Callable[..., Any], subject_field: str) -> Callable[..., None]:
    def save(request: HttpRequest, subject: Any, formset: Any) -> None:
        formset.save(commit=False)  # fills new_objects & co. for the admin's change message
        for form in formset.forms:
            if form.instance.pk is None and form.has_changed() and form.cleaned_data:
                data = form.cleaned_data
                version = append(
                    **{subject_field: subject},
                    valid_from=data["valid_from"],
                    hours=data["hours"],
                    note=data.get("note", ""),
                    actor=acting_user(request),
                )
                form.instance.pk = version.pk

    return save


register_inline(
    Employee, ContractHoursInline, save=_version_saver(services.contract_hours_add, "employee")
)
register_inline(
    Position, WeeklyHoursInline, save=_version_saver(services.weekly_hours_add, "position")
)


class _VersionAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Versions are append-only: shown, and added through the service; never changed."""

    form = VersionForm
    append: Callable[..., Any]
    subject_field: str

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (self.subject_field, *VERSION_FIELDS)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("actor", "recorded_at")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        version = self.append(
            **{self.subject_field: data[self.subject_field]},
            valid_from=data["valid_from"],
            hours=data["hours"],
            note=data.get("note", ""),
            actor=acting_user(request),
        )
        obj.pk = version.pk


@admin.register(ContractHours)
class ContractHoursAdmin(_VersionAdmin):
    append = staticmethod(services.contract_hours_add)
    subject_field = "employee"
    list_display = ("employee", "valid_from", "hours", "note", "actor", "recorded_at")
    search_fields = ("employee__employee_number", "employee__last_name", "note")
    autocomplete_fields = ("employee",)
    list_select_related = ("employee", "actor")
    date_hierarchy = "valid_from"


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(_VersionAdmin):
    append = staticmethod(services.weekly_hours_add)
    subject_field = "position"
    list_display = ("position", "valid_from", "hours", "note", "actor", "recorded_at")
    search_fields = ("position__code", "position__title", "note")
    autocomplete_fields = ("position",)
    list_select_related = ("position", "actor")
    date_hierarchy = "valid_from"


@admin.register(OrgUnit)
class OrgUnitAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "parent", "calendar", "active", "path")
    list_filter = ("active", "calendar")
    search_fields = ("code", "name")
    readonly_fields = ("path",)
    autocomplete_fields = ("parent",)
    list_select_related = ("parent", "calendar")

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        # The path (and a moved subtree's paths) are kept by the services.
        names = ("code", "name", "parent", "calendar", "active")
        fields = {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}
        if change:
            saved = services.org_unit_update(unit=obj, **fields)
        else:
            saved = services.org_unit_create(**fields)
        obj.pk, obj.path = saved.pk, saved.path


@admin.register(Position)
class PositionAdmin(ExtensibleAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "code",
        "title",
        "org_unit",
        "weekly_hours",
        "start_date",
        "end_date",
        "active",
        "closes_on_holidays",
    )
    list_filter = ("active", "org_unit")
    search_fields = ("code", "title", "org_unit__name")
    autocomplete_fields = ("org_unit",)
    list_select_related = ("org_unit",)
    date_hierarchy = "start_date"

    def save_model(self, request: HttpRequest, obj: Position, form: Any, change: bool) -> None:
        # Through the services: a change of the weekly hours is a version.
        actor = acting_user(request)
        if change:
            fields = _form_fields(form, only_changed=True)
            saved = services.position_update(position=obj, actor=actor, **fields)
        else:
            saved = services.position_create(actor=actor, **_form_fields(form, only_changed=False))
        obj.pk = saved.pk


class EmployeeLogInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EmployeeTransitionLog
    fk_name = "subject"
    extra = 0
    can_delete = False
    fields = ("at", "transition", "from_state", "to_state", "actor", "reason")
    readonly_fields = fields
    ordering = ("-at", "-id")
    verbose_name_plural = "history"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Employee)
class EmployeeAdmin(ExtensibleAdminMixin, TransitionAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "employee_number",
        "last_name",
        "first_name",
        "org_unit",
        "state",
        "contract_hours",
        "hire_date",
    )
    list_filter = ("state", "org_unit")
    search_fields = ("employee_number", "first_name", "last_name", "email")
    autocomplete_fields = ("org_unit", "user")
    list_select_related = ("org_unit",)
    inlines = (EmployeeLogInline,)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # Through the services: a change of the contract hours is a version.
        actor = acting_user(request)
        if change:
            fields = _form_fields(form, only_changed=True)
            saved = services.employee_update(employee=obj, actor=actor, **fields)
        else:
            saved = services.employee_create(actor=actor, **_form_fields(form, only_changed=False))
        obj.pk = saved.pk


class ManagerScopeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ManagerScope
    extra = 0
    autocomplete_fields = ("org_unit",)
    verbose_name = "scope org unit"


# A manager's scope is edited on the user's page.
register_inline(User, ManagerScopeInline)
