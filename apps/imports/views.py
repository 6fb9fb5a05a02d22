"""imports/ (DESIGN.md §9): upload (the dry run is queued), follow, read the rows, download the
errors, commit; the templates and the list of kinds."""

from __future__ import annotations

import io
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.parsers import MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.exceptions import PayloadTooLarge
from apps.core.renderers import CSVLines
from apps.core.viewsets import CSVExport, csv_stream
from apps.imports import services
from apps.imports.kinds import KINDS, Kind
from apps.imports.models import Import, ImportRow, RowAction
from apps.imports.serializers import (
    ImportCommitSerializer,
    ImportCreateSerializer,
    ImportKindSerializer,
    ImportRowQuerySerializer,
    ImportRowSerializer,
    ImportSerializer,
)
from apps.org.scope import is_signed_in
from apps.users.permissions import acting_user

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The multipart envelope around the file (boundaries, the kind field).
_ENVELOPE_BYTES = 64 * 1024


class ImportPermission(BasePermission):
    """HR admins import every kind; managers the kinds they may write (within their scope),
    and see their own imports; auditors read every import; employees none."""

    message = "Only HR admins and managers import; auditors may read imports."

    def has_permission(self, request: Request, view: Any) -> bool:
        user: Any = request.user
        if not is_signed_in(user):
            return False
        if user.is_admin or user.is_manager:
            return True
        return bool(user.is_auditor and request.method in SAFE_METHODS)


def _kind_or_404(name: str) -> Kind:
    try:
        return KINDS[name]
    except KeyError:
        raise NotFound(f"No import kind {name!r}. Kinds: {', '.join(KINDS)}.") from None


def _csv_download(lines: Any, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ImportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """Bulk imports: every import is a dry run first (`state` validating → validated), then
    committed by POST {id}/commit/."""

    permission_classes = [ImportPermission]
    serializer_class = ImportSerializer
    filterset_fields = ("kind", "state")
    ordering_fields = ("created_at", "id")

    def get_queryset(self) -> QuerySet[Import]:
        user: Any = self.request.user
        imports = Import.objects.order_by("-created_at", "-id")
        if is_signed_in(user) and user.is_manager:
            return imports.filter(created_by=user)
        return imports

    def get_parsers(self) -> list[Any]:
        # Called before DRF sets `self.action` (the schema generator sets it and no request):
        # the upload is the one multipart body.
        method = getattr(self.request, "method", None)
        if (self.action_map.get(method.lower()) if method else self.action) == "create":
            return [MultiPartParser()]
        return super().get_parsers()

    @extend_schema(
        request={"multipart/form-data": ImportCreateSerializer},
        responses={202: ImportSerializer},
        summary="Upload a file: its dry run is queued",
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        limit = settings.IMPORT_MAX_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > limit + _ENVELOPE_BYTES:
            raise PayloadTooLarge(
                f"The upload is {length:,} bytes; an import file may be at most {limit:,} bytes "
                "(IMPORT_MAX_BYTES). Split the file.",
                limit=limit,
            )
        data = ImportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        kind = KINDS[data.validated_data["kind"]]
        user = acting_user(request)
        if not user.is_admin and not kind.managers_may:
            allowed = ", ".join(k.name for k in KINDS.values() if k.managers_may)
            raise PermissionDenied(f"Managers import only: {allowed}.")
        upload = data.validated_data["file"]
        if upload.size > limit:
            raise PayloadTooLarge(
                f"The file is {upload.size:,} bytes; an import file may be at most {limit:,}.",
                limit=limit,
            )
        created = services.import_create(
            kind=kind.name, filename=upload.name or "", content=upload.read(), user=user
        )
        return Response(
            ImportSerializer(created).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": f"{request.path.rstrip('/')}/{created.pk}/"},
        )

    @extend_schema(
        request=ImportCommitSerializer,
        responses={202: ImportSerializer},
        summary="Commit a validated import (all or nothing, or the valid rows)",
    )
    @action(detail=True, methods=["post"])
    def commit(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        data = ImportCommitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        committed = services.import_commit(
            upload=upload, partial=data.validated_data["partial"], user=acting_user(request)
        )
        return Response(ImportSerializer(committed).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        parameters=[
            OpenApiParameter("status", str, enum=RowAction.values),
            OpenApiParameter("page", int),
            OpenApiParameter("page_size", int),
        ],
        responses=ImportRowSerializer(many=True),
        summary="The file's rows and what the dry run (or the commit) made of each",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def rows(self, request: Request, pk: str | None = None) -> Response:
        upload = self.get_object()
        query = ImportRowQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = ImportRow.objects.filter(upload=upload).order_by("row")
        if "status" in query.validated_data:
            rows = rows.filter(action=query.validated_data["status"])
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(ImportRowSerializer(page, many=True).data)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(description="CSV download")},
        summary="The rows in error, as in the file, with an `errors` column",
    )
    @action(detail=True, methods=["get"], url_path="errors.csv", filter_backends=[])
    def errors_csv(self, request: Request, pk: str | None = None) -> StreamingHttpResponse:
        upload = self.get_object()
        kind = KINDS[upload.kind]
        lines = CSVLines(["row", *kind.columns, "errors"])
        rows = (
            ImportRow.objects.filter(upload=upload, action=RowAction.ERROR)
            .order_by("row")
            .values_list("row", "values", "errors")
        )

        def stream() -> Any:
            yield lines.header()
            batch: list[dict[str, Any]] = []
            for number, values, errors in rows.iterator(chunk_size=1000):
                messages = "; ".join(
                    f"{e['field']}: {e['message']}" if e.get("field") else e["message"]
                    for e in errors
                )
                batch.append({"row": number, **values, "errors": messages})
                if len(batch) == 1000:
                    yield lines.rows(batch)
                    batch = []
            if batch:
                yield lines.rows(batch)

        return _csv_download(stream(), f"import-{upload.pk}-errors.csv")

    @extend_schema(responses=ImportKindSerializer(many=True), summary="What can be imported")
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def kinds(self, request: Request) -> Response:
        rows = [
            {
                "name": k.name,
                "label": k.label,
                "columns": list(k.columns),
                "required": list(k.required),
                "key": list(k.key),
                "managers_may": k.managers_may,
                "help": k.help,
            }
            for k in KINDS.values()
        ]
        return Response(ImportKindSerializer(rows, many=True).data)

    @extend_schema(
        responses={
            (200, "text/csv"): OpenApiResponse(response=OpenApiTypes.STR, description="CSV"),
            (200, XLSX): OpenApiResponse(response=OpenApiTypes.BINARY, description="XLSX"),
        },
        summary="The columns of a kind, as an empty CSV or XLSX file",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"templates/(?P<kind>[a-z_]+)\.(?P<fmt>csv|xlsx)",
        pagination_class=None,
        filter_backends=[],
    )
    def template(self, request: Request, kind: str = "", fmt: str = "csv") -> HttpResponse:
        found = _kind_or_404(kind)
        if fmt == "csv":
            response = HttpResponse(
                CSVLines(found.columns).header(), content_type="text/csv; charset=utf-8"
            )
        else:
            response = HttpResponse(
                _xlsx_template(found),
                content_type=XLSX,
            )
        response["Content-Disposition"] = f'attachment; filename="{found.name}.{fmt}"'
        return response

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(description="CSV download")},
        summary="Every row of a kind you can see, in its import columns (edit, import back)",
    )
    @action(
        detail=False,
        methods=["get"],
        url_path=r"exports/(?P<kind>[a-z_]+)\.csv",
        pagination_class=None,
        filter_backends=[],
    )
    def export(self, request: Request, kind: str = "") -> StreamingHttpResponse:
        found = _kind_or_404(kind)
        export = CSVExport(found.columns, found.export_queryset, found.export_row)
        return _csv_download(
            csv_stream(export, found.selector(user=request.user)), f"{found.name}.csv"
        )


def _xlsx_template(kind: Kind) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(kind.name)
    sheet.append(list(kind.columns))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
