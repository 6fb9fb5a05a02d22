"""Tags in the Django admin: the catalogue, employees' and positions' tags (every change through
the services, so it is logged with the admin as the actor), and the read-only change log."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin import ReadOnlyAdmin, RecordedHistoryMixin, register_inline
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


@dataclass(frozen=True)
class _TagRows:
    """Employees' or positions' tags as the admin writes them: through the tag services
    (logged, the admin as the actor), never by saving the rows directly."""

    kind: services.Attachments
    add_fields: tuple[str, ...]  # what an addition sets, besides the subject and the tag
    add: Callable[..., Any]
    change: Callable[..., Any]
    remove: Callable[..., Any]
    row: str  # the services' keyword for one attachment

    def added(self, subject: Any, data: dict[str, Any], actor: Any) -> Any:
        values = {name: data.get(name) for name in self.add_fields}
        values[str(self.kind.subject)] = subject
        return self.add(tag=data["tag"], reason=ADMIN_REASON, actor=actor, **values)

    def changed(self, row: Any, form: forms.ModelForm, actor: Any) -> None:  # type: ignore[type-arg]
        fields = _changed(form, self.kind.fields)
        if fields:
            self.change(**{self.row: row}, reason=ADMIN_REASON, actor=actor, **fields)

    def removed(self, row: Any, actor: Any) -> None:
        self.remove(**{self.row: row}, reason=ADMIN_REASON, actor=actor)

    def save_inline(self, request: HttpRequest, subject: Any, formset: Any) -> None:
        """The subject page's inline rows (apps.core.admin.register_inline's `save`)."""
        formset.save(commit=False)  # fills deleted_objects / changed_objects / new_objects
        for row in formset.deleted_objects:
            self.removed(row, request.user)
        for inline_form in formset.forms:
            if inline_form in formset.deleted_forms or not inline_form.has_changed():
                continue
            if inline_form.instance.pk is None:
                added = self.added(subject, inline_form.cleaned_data, request.user)
                inline_form.instance.pk = added.pk
            else:
                self.changed(inline_form.instance, inline_form, request.user)


EMPLOYEE_TAG_ROWS = _TagRows(
    kind=services.EMPLOYEE_TAGS,
    add_fields=("level", "valid_from", "valid_until"),
    add=services.employee_tag_add,
    change=services.employee_tag_change,
    remove=services.employee_tag_remove,
    row="employee_tag",
)
POSITION_TAG_ROWS = _TagRows(
    kind=services.POSITION_TAGS,
    add_fields=("requirement", "min_level"),
    add=services.position_tag_add,
    change=services.position_tag_change,
    remove=services.position_tag_remove,
    row="position_tag",
)


@admin.register(TagCatalog)
class TagCatalogAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
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


class _TagRowsAdmin(RecordedHistoryMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """Standalone lists of employee / position tags; edits go through the services."""

    rows: ClassVar[_TagRows]
    form = TagChoiceForm

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return (self.rows.kind.subject, "tag") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            self.rows.changed(obj, form, request.user)
        else:
            subject = form.cleaned_data[self.rows.kind.subject]
            obj.pk = self.rows.added(subject, form.cleaned_data, request.user).pk

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.rows.removed(obj, request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(EmployeeTag)
class EmployeeTagAdmin(_TagRowsAdmin):
    rows = EMPLOYEE_TAG_ROWS
    list_display = ("employee", "tag", "level", "valid_from", "valid_until")
    list_filter = ("tag__category", "level", ExpiryFilter, "tag")
    search_fields = ("employee__employee_number", "employee__last_name", "tag__code", "tag__label")
    autocomplete_fields = ("employee", "tag")
    list_select_related = ("employee", "tag")
    date_hierarchy = "valid_from"


@admin.register(PositionTag)
class PositionTagAdmin(_TagRowsAdmin):
    rows = POSITION_TAG_ROWS
    list_display = ("position", "tag", "requirement", "min_level")
    list_filter = ("requirement", "tag__category", "min_level", "tag")
    search_fields = ("position__code", "position__title", "tag__code", "tag__label")
    autocomplete_fields = ("position", "tag")
    list_select_related = ("position", "tag")


@admin.register(TagChangeLog)
class TagChangeLogAdmin(ReadOnlyAdmin):
    list_display = ("at", "subject_type", "subject_id", "action", "tag", "actor", "reason")
    list_filter = ("subject_type", "action", "tag__category")
    search_fields = ("reason", "request_id", "hash", "tag__code")
    date_hierarchy = "at"
    list_select_related = ("tag", "actor")


# The employee and position pages (apps.org.admin) show their tags, saved through the services.
register_inline(Employee, EmployeeTagInline, save=EMPLOYEE_TAG_ROWS.save_inline)
register_inline(Position, PositionTagInline, save=POSITION_TAG_ROWS.save_inline)
