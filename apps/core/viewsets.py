"""The viewset base every resource uses: scoped reads, service writes, ETag / If-Match."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.etag import etag_of
from apps.core.renderers import CSVLines, CSVRenderer
from apps.core.serializers import values_mapper
from apps.core.versions import kept_count


@dataclass(frozen=True)
class CSVExport:
    """How a list answers `?format=csv` (registered by a higher app: the imports app gives
    each resource its import template's columns, so an export can be edited and imported
    back). `prepare` adds to the filtered queryset what `row` reads."""

    columns: tuple[str, ...]
    prepare: Callable[[QuerySet[Any]], QuerySet[Any]]
    row: Callable[[Any], dict[str, str]]


_csv_exports: dict[type, CSVExport] = {}
EXPORT_BATCH = 2000


def register_csv_export(viewset: type, export: CSVExport) -> None:
    """Make `viewset`'s list (and its subclasses') answer `?format=csv` with `export`."""
    _csv_exports[viewset] = export


def csv_export_of(viewset: type) -> CSVExport | None:
    return next((_csv_exports[k] for k in viewset.__mro__ if k in _csv_exports), None)


def csv_stream(export: CSVExport, queryset: QuerySet[Any]) -> Iterator[str]:
    """The rows of `queryset` as CSV text, a batch at a time (flat memory)."""
    lines = CSVLines(export.columns)
    yield lines.header()
    batch: list[dict[str, str]] = []
    for obj in export.prepare(queryset).iterator(chunk_size=EXPORT_BATCH):
        batch.append(export.row(obj))
        if len(batch) == EXPORT_BATCH:
            yield lines.rows(batch)
            batch = []
    if batch:
        yield lines.rows(batch)


class ValuesRows:
    """A queryset as the paginator sees it for the fast list path: counted as the model queryset
    (`SELECT COUNT(*)` without the joins `.values()` adds for related columns), sliced as
    `.values()` rows."""

    def __init__(self, queryset: QuerySet[Any], fields: tuple[str, ...]) -> None:
        self.queryset = queryset
        self.fields = fields
        self.ordered = queryset.ordered

    def count(self) -> int:
        kept = kept_count(self.queryset)
        return self.queryset.count() if kept is None else kept

    def __len__(self) -> int:  # pragma: no cover - the paginator calls count()
        return self.count()

    def __getitem__(self, window: slice) -> QuerySet[Any]:
        return self.queryset.values(*self.fields)[window]


class ServiceModelViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,  # type: ignore[type-arg]
):
    """List / retrieve through a selector; create / update through services (a create-only
    resource sets `http_method_names` without put/patch).

    Subclasses set `read_serializer_class`, `detail_serializer_class` (optional),
    `write_serializer_class`, and implement `perform_service_create(data)` and
    `perform_service_update(obj, data, if_match)`.

    A hot list may take a fast path (`list_from_values = True`): the page is read as
    `.values()` rows and turned into exactly what `read_serializer_class` gives for those
    objects by apps.core.serializers.ValuesMapper, which derives both the columns and the
    mapping from the serializer's fields. The page then costs one dict per row instead of a
    model instance and a serializer per row.
    """

    read_serializer_class: type
    detail_serializer_class: type | None = None
    write_serializer_class: type
    list_from_values: bool = False

    def get_renderers(self) -> list[Any]:
        renderers = super().get_renderers()
        if getattr(self, "action", None) == "list" and csv_export_of(type(self)) is not None:
            renderers.append(CSVRenderer())
        return renderers

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        export = csv_export_of(type(self))
        if export is not None and getattr(request.accepted_renderer, "format", "") == "csv":
            # Every row the filters keep, unpaginated, streamed in flat memory; the paging
            # parameters are ignored, but refused as on a page when they are malformed.
            self._check_paging(request)
            kept = self.filter_queryset(self.get_queryset())
            response = StreamingHttpResponse(
                csv_stream(export, kept), content_type="text/csv; charset=utf-8"
            )
            name = getattr(self, "basename", None) or "export"
            response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
            return response
        if not self.list_from_values:
            return super().list(request, *args, **kwargs)
        mapper = values_mapper(self.read_serializer_class)
        rows = ValuesRows(self.filter_queryset(self.get_queryset()), mapper.columns)
        page: list[Any] | None = self.paginate_queryset(rows)  # type: ignore[arg-type]
        assert page is not None, "the fast list path needs a paginator"
        return self.get_paginated_response(mapper.rows(page))

    def _check_paging(self, request: Request) -> None:
        paginator: Any = self.paginator
        if paginator is None:  # pragma: no cover - every list has one
            return
        paginator.get_page_size(request)
        page = request.query_params.get(getattr(paginator, "page_query_param", "page"), "")
        if page and page != "last" and not (page.isdigit() and int(page) >= 1):
            raise NotFound("Invalid page.")

    def get_serializer_class(self) -> type:
        if self.action in ("create", "update", "partial_update"):
            return self.write_serializer_class
        if self.action == "retrieve" and self.detail_serializer_class:
            return self.detail_serializer_class
        return self.read_serializer_class

    def _detail_response(self, obj: Any, status_code: int = status.HTTP_200_OK) -> Response:
        serializer = (self.detail_serializer_class or self.read_serializer_class)(
            obj, context=self.get_serializer_context()
        )
        return Response(serializer.data, status=status_code, headers={"ETag": etag_of(obj)})

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._detail_response(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.write_serializer_class(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        obj = self.perform_service_create(data.validated_data)
        return self._detail_response(obj, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        data = self.write_serializer_class(
            obj,
            data=request.data,
            partial=kwargs.pop("partial", False),
            context=self.get_serializer_context(),
        )
        data.is_valid(raise_exception=True)
        obj = self.perform_service_update(obj, data.validated_data, request.headers.get("If-Match"))
        return self._detail_response(obj)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)

    def perform_service_create(self, data: dict[str, Any]) -> Any:  # pragma: no cover
        raise NotImplementedError

    def perform_service_update(
        self, obj: Any, data: dict[str, Any], if_match: str | None
    ) -> Any:  # pragma: no cover
        raise NotImplementedError


def detail_action_view(resource: type[Any], action: type[Any], name: str) -> Any:
    """The view of one GET action that a higher app adds to a lower app's resource, routed as
    `{prefix}/{id}/{name}/` in config/api.py: a subclass of the resource's viewset with the
    action's mixin, so the subject is looked up with the resource's own scope (404 outside it)
    and permissions. The lower app does not know the action exists."""
    viewset: Any = type(
        f"{resource.__name__}{action.__name__.strip('_')}",
        (action, resource),
        {"filter_backends": [], "__doc__": resource.__doc__},
    )
    # The route may be hyphenated (`leave-balance/`), the method is not (`leave_balance`).
    return viewset.as_view({"get": name.replace("-", "_")}, detail=True)
