"""A registration point for the Django admin: higher apps add inlines and read-only panels to
a lower app's model admin (the tags app adds tag inlines to the employee page, the supply side
a chart), the way `admin.site.register` lets any app add a page, without the lower app
importing them. Also the admin side of the change log: each tracked object's History page
(`RecordedHistoryMixin`) and the read-only change log itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse

from apps.core.models import Change

# (request, the object the page edits, the inline's bound formset) -> None
FormsetSaver = Callable[[HttpRequest, Any, Any], None]


@dataclass
class _Extensions:
    inlines: list[type[admin.options.InlineModelAdmin]] = field(default_factory=list)  # type: ignore[type-arg]
    panels: list[Callable[[Any], Any]] = field(default_factory=list)
    savers: dict[type[models.Model], FormsetSaver] = field(default_factory=dict)


_extensions: dict[type[models.Model], _Extensions] = {}


def _of(model: type[models.Model]) -> _Extensions:
    return _extensions.setdefault(model, _Extensions())


def register_inline(
    model: type[models.Model],
    inline: type[admin.options.InlineModelAdmin],  # type: ignore[type-arg]
    *,
    save: FormsetSaver | None = None,
) -> None:
    """Show `inline` on `model`'s admin page; `save`, when given, saves its rows (through the
    owning app's services) instead of the formset writing them directly."""
    extensions = _of(model)
    if inline not in extensions.inlines:
        extensions.inlines.append(inline)
    if save is not None:
        extensions.savers[inline.model] = save


def register_panel(model: type[models.Model], panel: Callable[[Any], Any]) -> None:
    """Show `panel(obj)` (a function decorated with `admin.display(description=...)`) as a
    read-only field on `model`'s admin page."""
    extensions = _of(model)
    if panel not in extensions.panels:
        extensions.panels.append(panel)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Shows rows and changes none: logs are append-only (the database refuses their edits too),
    and a report page has nothing to change."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


HISTORY_ROWS = 200


def recorded_changes(model: type[models.Model], pk: Any) -> Any:
    """The change log's rows about one object and what belongs to it, newest first."""
    entity_type = model.audit_tracking.entity_type  # type: ignore[attr-defined]
    return (
        Change.objects.filter(
            Q(entity_type=entity_type, entity_id=pk) | Q(subject_type=entity_type, subject_id=pk)
        )
        .select_related("actor")
        .order_by("-at", "-id")
    )


class RecordedHistoryMixin:
    """A tracked model's admin: its History page (the button on every change page) lists the
    recorded changes (who, when, what changed: old → new) instead of the admin's own actions,
    which miss every change made through the API, a command or SQL."""

    model: type[models.Model]
    admin_site: Any

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if getattr(self.model, "audit_tracking", None) is None:
            return super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        obj = get_object_or_404(self.model, pk=object_id)
        if not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise PermissionDenied
        changes = recorded_changes(self.model, obj.pk)
        rows = list(changes[:HISTORY_ROWS])
        for row in rows:
            row.fields = [(name, old, new) for name, (old, new) in sorted(row.changes.items())]  # type: ignore[attr-defined]
        entity_type = self.model.audit_tracking.entity_type  # type: ignore[attr-defined]
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "opts": self.model._meta,
            "object": obj,
            "rows": rows,
            "total": changes.count(),
            "changes_url": reverse("admin:core_change_changelist")
            + f"?subject_type={entity_type}&subject_id={obj.pk}",
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/core/recorded_history.html", context)


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    """The change log, read-only: every create, update and delete of a tracked row."""

    list_display = ("at", "entity_type", "entity_id", "action", "actor", "request_id", "reason")
    list_filter = ("entity_type", "action", ("at", admin.DateFieldListFilter))
    search_fields = ("request_id", "reason", "hash")
    list_select_related = ("actor",)
    date_hierarchy = "at"
    show_full_result_count = False


class ExtensibleAdminMixin(RecordedHistoryMixin):
    """For a model admin that other apps extend with register_inline / register_panel (and
    whose History page is the change log's)."""

    model: type[models.Model]

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[Any]:
        own = list(super().get_inlines(request, obj))  # type: ignore[misc]
        return [*_of(self.model).inlines, *own]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[Any, ...]:
        own = tuple(super().get_readonly_fields(request, obj))  # type: ignore[misc]
        return (*own, *_of(self.model).panels)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        saver = _of(self.model).savers.get(formset.model)
        if saver is None:
            super().save_formset(request, form, formset, change)  # type: ignore[misc]
        else:
            saver(request, form.instance, formset)
