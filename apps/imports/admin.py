"""Imports in the Django admin (DESIGN.md §9): HR admins upload a file, watch its dry run (a
progress bar; the page refreshes itself while a worker is at it), read the preview — the counts
and the rows, filtered by what the dry run made of them — and confirm: all or nothing, or the
valid rows. The same services as the API do it, as the admin."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from apps.core.exceptions import ProblemError
from apps.core.renderers import CSVLines
from apps.demand.admin import is_hr_admin
from apps.imports import services
from apps.imports.kinds import KINDS
from apps.imports.models import Import, ImportRow, ImportState, RowAction

PREVIEW_ROWS = 100
RUNNING = (ImportState.QUEUED, ImportState.VALIDATING, ImportState.COMMITTING)


class UploadForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k.name, f"{k.label} ({k.name})") for k in KINDS.values()])
    file = forms.FileField(help_text="CSV (UTF-8, comma or semicolon) or XLSX: the first sheet.")

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size:,} bytes; at most {settings.IMPORT_MAX_BYTES:,}."
            )
        return upload


@admin.register(Import)
class ImportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = (
        "id",
        "kind",
        "filename",
        "state",
        "progress",
        "created",
        "updated",
        "unchanged",
        "errors",
        "created_by",
        "created_at",
    )
    list_filter = ("kind", "state", "mode")
    search_fields = ("filename", "created_by__email", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("created_by",)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_hr_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_hr_admin(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_hr_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="progress")
    def progress(self, obj: Import) -> str:
        return f"{obj.rows_done} / {obj.rows_total}" if obj.rows_total else "—"

    def get_urls(self) -> list[URLPattern]:
        info = self.opts.app_label, self.opts.model_name
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/commit/", wrap(self.commit_view), name="{}_{}_commit".format(*info)),
            path("<int:pk>/errors.csv", wrap(self.errors_view), name="{}_{}_errors".format(*info)),
            *super().get_urls(),
        ]

    def _detail_url(self, upload: Import) -> str:
        return reverse("admin:imports_import_change", args=[upload.pk])

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                created = services.import_create(
                    kind=form.cleaned_data["kind"],
                    filename=upload.name or "",
                    content=upload.read(),
                    user=request.user,
                )
            except ProblemError as exc:
                form.add_error("file", str(exc.detail))
            else:
                return HttpResponseRedirect(self._detail_url(created))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a file",
            "form": form,
            "kinds": KINDS.values(),
            "max_bytes": settings.IMPORT_MAX_BYTES,
        }
        return TemplateResponse(request, "admin/imports/upload.html", context)

    def detail_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = get_object_or_404(Import.objects.select_related("created_by"), pk=pk)
        shown = request.GET.get("status", "")
        rows = ImportRow.objects.filter(upload=upload).order_by("row")
        if shown in RowAction.values:
            rows = rows.filter(action=shown)
        kind = KINDS[upload.kind]
        preview = [
            {
                "row": r.row,
                "action": r.action,
                "key": r.key,
                "cells": [r.values.get(c, "") for c in kind.columns],
                "changed": r.changed,
                "errors": r.errors,
                "violations": r.violations,
            }
            for r in rows[:PREVIEW_ROWS]
        ]
        percent = round(100 * upload.rows_done / upload.rows_total) if upload.rows_total else 0
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Import #{upload.pk}: {kind.label}",
            "upload": upload,
            "kind": kind,
            "preview": preview,
            "shown": shown,
            "filters": [("", "all"), *((a.value, a.label) for a in RowAction)],
            "preview_rows": PREVIEW_ROWS,
            "running": upload.state in RUNNING,
            "percent": percent,
            "can_commit": upload.state == ImportState.VALIDATED,
        }
        return TemplateResponse(request, "admin/imports/detail.html", context)

    def commit_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_add_permission(request) or request.method != "POST":
            raise PermissionDenied
        upload = get_object_or_404(Import, pk=pk)
        try:
            services.import_commit(
                upload=upload, partial=request.POST.get("partial") == "1", user=request.user
            )
        except ProblemError as exc:
            self.message_user(request, str(exc.detail), messages.ERROR)
        else:
            self.message_user(request, "The commit is queued: this page follows it.")
        return HttpResponseRedirect(self._detail_url(upload))

    def errors_view(self, request: HttpRequest, pk: int) -> StreamingHttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        upload = get_object_or_404(Import, pk=pk)
        kind = KINDS[upload.kind]
        lines = CSVLines(["row", *kind.columns, "errors"])
        rows = ImportRow.objects.filter(upload=upload, action=RowAction.ERROR).order_by("row")

        def stream() -> Any:
            yield lines.header()
            for r in rows.iterator(chunk_size=1000):
                messages_ = "; ".join(e["message"] for e in r.errors)
                yield lines.rows([{"row": r.row, **r.values, "errors": messages_}])

        response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{pk}-errors.csv"'
        return response

    # The admin's own add and change pages are these: an import is uploaded, then followed.
    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        return self.upload_view(request)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> Any:
        try:
            pk = int(object_id)
        except ValueError:
            raise Http404("No such import.") from None
        return self.detail_view(request, pk)
