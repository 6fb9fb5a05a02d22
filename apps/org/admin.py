"""The organisation in the Django admin. The position and employee pages are extended by
higher apps (apps.core.admin): tags add their inlines, demand and supply their charts."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.core.admin import ExtensibleAdminMixin, register_inline
from apps.fsm.admin import TransitionAdminMixin
from apps.fsm.models import EmployeeTransitionLog
from apps.org import services
from apps.org.models import Employee, ManagerScope, OrgUnit, Position
from apps.users.models import User


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "parent", "active", "path")
    list_filter = ("active",)
    search_fields = ("code", "name")
    readonly_fields = ("path",)
    autocomplete_fields = ("parent",)
    list_select_related = ("parent",)

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        # The path (and a moved subtree's paths) are kept by the services.
        fields = {name: form.cleaned_data[name] for name in ("code", "name", "parent", "active")}
        if change:
            saved = services.org_unit_update(unit=obj, **fields)
        else:
            saved = services.org_unit_create(**fields)
        obj.pk, obj.path = saved.pk, saved.path


@admin.register(Position)
class PositionAdmin(ExtensibleAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "title", "org_unit", "weekly_hours", "start_date", "end_date", "active")
    list_filter = ("active", "org_unit")
    search_fields = ("code", "title", "org_unit__name")
    autocomplete_fields = ("org_unit",)
    list_select_related = ("org_unit",)
    date_hierarchy = "start_date"


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


class ManagerScopeInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ManagerScope
    extra = 0
    autocomplete_fields = ("org_unit",)
    verbose_name = "scope org unit"


# A manager's scope is edited on the user's page.
register_inline(User, ManagerScopeInline)
