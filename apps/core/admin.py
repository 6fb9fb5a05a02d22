"""A registration point for the Django admin: higher apps add inlines and read-only panels to
a lower app's model admin (the tags app adds tag inlines to the employee page, the supply side
a chart), the way `admin.site.register` lets any app add a page, without the lower app
importing them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import admin
from django.db import models
from django.http import HttpRequest

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


class ExtensibleAdminMixin:
    """For a model admin that other apps extend with register_inline / register_panel."""

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
