"""audit-log/ (cursor-paginated stream), audit-log/verify/, audit-log/export/ (CSV), and the
{resource}/{id}/history/ of every resource whose changes are logged."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import Any

import orjson
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from apps.audit_log.filters import AuditEntryFilter
from apps.audit_log.models import Action, AuditEntry
from apps.audit_log.selectors import audit_entries, entity_type_of, subject_history
from apps.audit_log.serializers import CSV_COLUMNS, AuditEntrySerializer, VerifyResultSerializer
from apps.audit_log.verification import verify_all
from apps.core.codes import ErrorCode
from apps.core.db import replica_reads
from apps.core.filters import FilterBackend
from apps.core.pagination import StrictPageSizeMixin
from apps.core.renderers import csv_cell


class IsAdminOrAuditor(BasePermission):
    """HR admins and auditors read the audit trail; nobody writes it."""

    message = "Only HR admins and auditors may read the audit log."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_admin or user.is_auditor))


class AuditCursorPagination(StrictPageSizeMixin, CursorPagination):
    """Newest first; a cursor stays valid while rows are appended (they land before it)."""

    ordering = ("-at", "-source", "-source_id")
    page_size_query_param = "page_size"
    max_page_size = 100

    def decode_cursor(self, request: Request) -> Cursor | None:
        # DRF checks a cursor's offset but filters on its position as given: a forged position
        # that is not a timestamp reached the ORM and was a 500. It is an invalid cursor (404).
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            try:
                valid = parse_datetime(str(cursor.position)) is not None
            except ValueError:
                valid = False
            if not valid:
                raise NotFound(self.invalid_cursor_message)
        return cursor


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(rows: QuerySet[AuditEntry]) -> Iterator[str]:
    writer = csv.writer(_Echo(), lineterminator="\n")
    yield writer.writerow(CSV_COLUMNS)
    for row in rows.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                csv_cell(v)
                for v in [
                    row.at.isoformat(),
                    row.entity_type,
                    row.entity_id,
                    row.action,
                    orjson.dumps(row.changes, option=orjson.OPT_SORT_KEYS).decode()
                    if row.changes
                    else "",
                    row.transition,
                    row.from_state,
                    row.to_state,
                    row.actor_id or "",
                    row.actor.email if row.actor else "",
                    row.reason,
                    row.request_id,
                    row.source,
                    row.source_id,
                    row.hash,
                ]
            ]
        )


class AuditLogViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):  # type: ignore[type-arg]
    """Every captured change, transition, tag change and ledger entry in one stream (admins and
    auditors)."""

    permission_classes = [IsAdminOrAuditor]
    serializer_class = AuditEntrySerializer
    pagination_class = AuditCursorPagination
    filterset_class = AuditEntryFilter
    filter_backends = [FilterBackend]

    def get_queryset(self) -> QuerySet[AuditEntry]:
        return audit_entries()

    @method_decorator(replica_reads)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(responses=VerifyResultSerializer, summary="Verify every hash chain")
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def verify(self, request: Request) -> Response:
        return Response(VerifyResultSerializer(verify_all()).data)

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(description="CSV download")},
        summary="The filtered stream as a streamed CSV download",
    )
    @action(detail=False, methods=["get"], pagination_class=None)
    def export(self, request: Request) -> StreamingHttpResponse:
        rows = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(_csv_lines(rows), content_type="text/csv")
        stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
        response["Content-Disposition"] = f'attachment; filename="audit-log_{stamp}.csv"'
        return response


class HistoryAction:
    """GET {id}/history/, added to each logged resource (apps.core.viewsets.detail_action_view):
    the subject is looked up by the resource's own viewset, its rows come from the audit
    stream."""

    get_object: Any
    paginate_queryset: Any
    get_paginated_response: Any

    @extend_schema(
        request=None,
        responses=AuditEntrySerializer(many=True),
        parameters=[
            OpenApiParameter(
                "action",
                enum=Action.values,
                description="Only rows of this action (`transition`: the logged transitions).",
            )
        ],
        summary="Every log row about this subject and what belongs to it, newest first",
    )
    def history(self, request: Request, pk: str | None = None) -> Response:
        subject = self.get_object()
        rows = subject_history(entity_type=entity_type_of(type(subject)), entity_id=subject.pk)
        wanted = request.query_params.get("action")
        if wanted is not None:
            if wanted not in Action.values:
                raise ValidationError(
                    {"action": [f"Not one of: {', '.join(Action.values)}."]},
                    code=ErrorCode.INVALID,
                )
            rows = rows.filter(action=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(AuditEntrySerializer(page, many=True).data)
