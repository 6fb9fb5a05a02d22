"""Tags in the Django admin: the catalogue, employees' and positions' tags (every change through
the services, so it is logged with the admin as the actor), and the read-only change log."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin import register_inline
from apps.fsm.admin import ReadOnlyAdmin
from apps.org.models import Employee, Position
from apps.tags import services
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog, TagChangeLog

ADMIN_REASON = "Django admin"


def _changed(form: forms.ModelForm, fields: tuple[str, ...]) -> dict[str, Any]:  # type: ignore[type-arg]
    return {name: form.cleaned_data[name] for name in fields if name in form.changed_data}


class TagChoiceForm(forms.ModelForm):  # type: ignore[type-arg]
    """A tag newly attached (or switched to) must be active in the catalogue."""

    def clean_tag(self) -> TagCatalog:
        tag: TagCatalog = self.cleaned_data["tag"]
        is_new = self.instance.pk is None or self.instance.tag_id != tag.pk
        if is_new and not tag.active:
            raise forms.ValidationError(f"The tag {tag.code} is inactive and cannot be attached.")
        if self.instance.pk is not None and self.instance.tag_id != tag.pk:
            raise forms.ValidationError("The tag cannot be changed; delete this row and add one.")
        return tag


class EmployeeTagInline(admin.TabularInline):  # type: ignore[type-arg]
    model = EmployeeTag
    form = TagChoiceForm
    extra = 0
    fields = ("tag", "level", "valid_from", "valid_until")
    autocomplete_fields = ("tag",)
    ordering = ("tag__code", "valid_from")


class PositionTagInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PositionTag
    form = TagChoiceForm
    extra = 0
    fields = ("tag", "requirement", "min_level")
    autocomplete_fields = ("tag",)
    ordering = ("requirement", "tag__code")


def _save_employee_tags(request: HttpRequest, employee: Any, formset: Any) -> None:
    """The employee page's tag rows, through the tag services (logged, the admin as actor)."""
    formset.save(commit=False)  # fills deleted_objects / changed_objects / new_objects
    actor = request.user
    for row in formset.deleted_objects:
        services.employee_tag_remove(employee_tag=row, reason=ADMIN_REASON, actor=actor)
    for inline_form in formset.forms:
        instance = inline_form.instance
        if inline_form in formset.deleted_forms or not inline_form.has_changed():
            continue
        if instance.pk is None:
            instance.pk = services.employee_tag_add(
                employee=employee,
                tag=inline_form.cleaned_data["tag"],
                level=inline_form.cleaned_data["level"],
                valid_from=inline_form.cleaned_data["valid_from"],
                valid_until=inline_form.cleaned_data.get("valid_until"),
                reason=ADMIN_REASON,
                actor=actor,
            ).pk
        else:
            fields = _changed(inline_form, services.EMPLOYEE_TAG_FIELDS)
            if fields:
                services.employee_tag_change(
                    employee_tag=instance, reason=ADMIN_REASON, actor=actor, **fields
                )


def _save_position_tags(request: HttpRequest, position: Any, formset: Any) -> None:
    """The position page's tag rows, through the tag services."""
    formset.save(commit=False)
    actor = request.user
    for row in formset.deleted_objects:
        services.position_tag_remove(position_tag=row, reason=ADMIN_REASON, actor=actor)
    for inline_form in formset.forms:
        instance = inline_form.instance
        if inline_form in formset.deleted_forms or not inline_form.has_changed():
            continue
        if instance.pk is None:
            instance.pk = services.position_tag_add(
                position=position,
                tag=inline_form.cleaned_data["tag"],
                requirement=inline_form.cleaned_data["requirement"],
                min_level=inline_form.cleaned_data["min_level"],
                reason=ADMIN_REASON,
                actor=actor,
            ).pk
        else:
            fields = _changed(inline_form, services.POSITION_TAG_FIELDS)
            if fields:
                services.position_tag_change(
                    position_tag=instance, reason=ADMIN_REASON, actor=actor, **fields
                )


@admin.register(TagCatalog)
class TagCatalogAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "label", "category", "active", "updated_at")
    list_filter = ("active", "category")
    search_fields = ("code", "label", "description")
    ordering = ("category", "code")

    def save_model(self, request: HttpRequest, obj: TagCatalog, form: Any, change: bool) -> None:
        fields = {
            name: form.cleaned_data[name]
            for name in ("code", "label", "category", "description", "active")
            if name in form.cleaned_data
        }
        if change:
            saved = services.tag_catalog_update(tag=obj, actor=request.user, **fields)
        else:
            saved = services.tag_catalog_create(actor=request.user, **fields)
        obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: attachments and the log refer to the tag


class ExpiryFilter(admin.SimpleListFilter):
    title = "validity"
    parameter_name = "validity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "Does not expire"), ("expires", "Expires"), ("expired", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        import datetime as dt

        today = dt.date.today()
        if self.value() == "open":
            return queryset.filter(valid_until__isnull=True)
        if self.value() == "expires":
            return queryset.filter(valid_until__gte=today)
        if self.value() == "expired":
            return queryset.filter(valid_until__lt=today)
        return queryset


class _ServiceWritesAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Standalone lists of employee / position tags; edits go through the services."""

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(EmployeeTag)
class EmployeeTagAdmin(_ServiceWritesAdmin):
    form = TagChoiceForm
    list_display = ("employee", "tag", "level", "valid_from", "valid_until")
    list_filter = ("tag__category", "level", ExpiryFilter, "tag")
    search_fields = ("employee__employee_number", "employee__last_name", "tag__code", "tag__label")
    autocomplete_fields = ("employee", "tag")
    list_select_related = ("employee", "tag")
    date_hierarchy = "valid_from"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("employee", "tag") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: EmployeeTag, form: Any, change: bool) -> None:
        if change:
            fields = _changed(form, services.EMPLOYEE_TAG_FIELDS)
            saved = services.employee_tag_change(
                employee_tag=obj, reason=ADMIN_REASON, actor=request.user, **fields
            )
        else:
            saved = services.employee_tag_add(
                employee=form.cleaned_data["employee"],
                tag=form.cleaned_data["tag"],
                level=form.cleaned_data["level"],
                valid_from=form.cleaned_data["valid_from"],
                valid_until=form.cleaned_data.get("valid_until"),
                reason=ADMIN_REASON,
                actor=request.user,
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: EmployeeTag) -> None:
        services.employee_tag_remove(employee_tag=obj, reason=ADMIN_REASON, actor=request.user)


@admin.register(PositionTag)
class PositionTagAdmin(_ServiceWritesAdmin):
    form = TagChoiceForm
    list_display = ("position", "tag", "requirement", "min_level")
    list_filter = ("requirement", "tag__category", "min_level", "tag")
    search_fields = ("position__code", "position__title", "tag__code", "tag__label")
    autocomplete_fields = ("position", "tag")
    list_select_related = ("position", "tag")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("position", "tag") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: PositionTag, form: Any, change: bool) -> None:
        if change:
            fields = _changed(form, services.POSITION_TAG_FIELDS)
            saved = services.position_tag_change(
                position_tag=obj, reason=ADMIN_REASON, actor=request.user, **fields
            )
        else:
            saved = services.position_tag_add(
                position=form.cleaned_data["position"],
                tag=form.cleaned_data["tag"],
                requirement=form.cleaned_data["requirement"],
                min_level=form.cleaned_data["min_level"],
                reason=ADMIN_REASON,
                actor=request.user,
            )
        obj.pk = saved.pk

    def delete_model(self, request: HttpRequest, obj: PositionTag) -> None:
        services.position_tag_remove(position_tag=obj, reason=ADMIN_REASON, actor=request.user)


@admin.register(TagChangeLog)
class TagChangeLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "subject_type", "subject_id", "action", "tag", "actor", "reason")
    list_filter = ("subject_type", "action", "tag__category")
    search_fields = ("reason", "request_id", "hash", "tag__code")
    date_hierarchy = "at"
    list_select_related = ("tag", "actor")


# The employee and position pages (apps.org.admin) show their tags, saved through the services.
register_inline(Employee, EmployeeTagInline, save=_save_employee_tags)
register_inline(Position, PositionTagInline, save=_save_position_tags)
