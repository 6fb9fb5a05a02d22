"""The weekly report endpoints' one shape: query parameters, a keys × weeks grid paged without
computing other pages' rows, and the same rows as a CSV download."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from itertools import batched
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponseBase, StreamingHttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.core import asof
from apps.core.db import replica_reads, report_reads, snapshot_reads
from apps.core.pagination import CoverisPagination
from apps.core.renderers import CSVLines, CSVRenderer, JSONRenderer
from apps.core.serializers import ScopedRelationsMixin
from apps.reports.grid import grid_response
from apps.reports.weeks import WeekRangeSerializer, week_label, week_range

# Rows a streamed CSV computes and writes at a time (its memory does not grow with the report).
CSV_ROWS_PER_BATCH = 5000

# The instant a report answers as of (`as_of`, or now), on every report response.
AS_OF_HEADER = "Coveris-As-Of"


class ReportQuerySerializer(ScopedRelationsMixin, WeekRangeSerializer):
    """from / to, plus `format` (json or csv) that the renderer already used; id parameters
    are scoped to the caller (`scoped_relations`)."""

    format = serializers.ChoiceField(choices=["json", "csv"], required=False)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1)
    as_of = serializers.DateTimeField(
        required=False,
        help_text="Answer as the same request answered at this instant (ISO 8601, between the "
        "first record and now); default now.",
    )

    def validate_as_of(self, value: dt.datetime) -> dt.datetime:
        if value > timezone.now():
            raise serializers.ValidationError("as_of lies in the future.")
        first = asof.first_record()
        if first is None or value < first:
            since = f" (the first is at {first.isoformat()})" if first else ""
            raise serializers.ValidationError(f"Nothing was recorded by as_of{since}.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        attrs["weeks"] = week_range(attrs["from"], attrs["to"])
        return attrs


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv"


def csv_download[R: HttpResponseBase](response: R, name: str, params: dict[str, Any]) -> R:
    """Mark a CSV response as a download named after the report and its weeks."""
    first, last = week_label(params["from"]), week_label(params["to"])
    response["Content-Disposition"] = f'attachment; filename="{name}_{first}_{last}.csv"'
    return response


class WeeklyReportView(APIView):
    """GET a weekly report: one row per key (a position, an employee, an org unit) and week.

    A report names its `query_serializer_class`, its `report_name` (the CSV file's), its
    `csv_columns`, and implements `grid_keys` (every key the caller may see, in order) and
    `grid_rows` (the rows of some of those keys, key by key, week by week). JSON pages over
    the keys × weeks grid compute only the page's keys; `?format=csv` downloads all of it,
    streamed: computed and written CSV_ROWS_PER_BATCH rows at a time, in one snapshot, so a
    260-week report of every employee takes no more memory than a small one.
    Reads run on the replica when there is one.
    """

    renderer_classes = [JSONRenderer, CSVRenderer]
    pagination_class = CoverisPagination  # the JSON envelope grid_response writes
    query_serializer_class: type[ReportQuerySerializer] = ReportQuerySerializer
    report_name: str
    csv_columns: tuple[str, ...]

    @method_decorator(replica_reads)
    def get(self, request: Request) -> HttpResponseBase:
        query = self.query_serializer_class(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        params = dict(query.validated_data)
        instant = params.get("as_of")
        stamp = (instant or timezone.now()).isoformat()
        if wants_csv(request):
            streamed = StreamingHttpResponse(
                self.csv_stream(request, params), content_type="text/csv; charset=utf-8"
            )
            streamed[AS_OF_HEADER] = stamp
            return csv_download(streamed, self.report_name, params)
        with asof.as_of(instant):
            response = grid_response(
                request,
                self,
                self.grid_keys(request, params),
                len(params["weeks"]),
                lambda keys: self.grid_rows(request, params, keys),
            )
        response[AS_OF_HEADER] = stamp
        return response

    def csv_stream(self, request: Request, params: dict[str, Any]) -> Iterator[str]:
        """The whole report as CSV lines, batch by batch, as the response is sent (on the
        request's thread, after the view has returned: so the read contexts are entered here)."""
        lines = CSVLines(self.csv_columns)
        with report_reads(), snapshot_reads(), asof.as_of(params.get("as_of")):
            keys = self.grid_keys(request, params)
            yield lines.header()
            per_batch = max(1, CSV_ROWS_PER_BATCH // len(params["weeks"]))
            for batch in batched(keys, per_batch, strict=False):
                yield lines.rows(self.grid_rows(request, params, list(batch)))

    def grid_keys(self, request: Request, params: dict[str, Any]) -> list[Any]:
        raise NotImplementedError  # pragma: no cover

    @staticmethod
    def ids_asked_for(queryset: QuerySet[Any], params: dict[str, Any], key: str) -> list[Any]:
        """The ids of `queryset` (rows with an `org_unit`), in id order: only `params[key]`
        when the query names one, only the subtree of `params["org_unit"]` when it names one."""
        queryset = queryset.order_by("id")
        if params.get(key):
            queryset = queryset.filter(pk=params[key].pk)
        if params.get("org_unit"):
            unit = params["org_unit"]
            # Where the unit stood then, as of an instant.
            found = asof.rows(type(unit).objects.filter(pk=unit.pk))
            path = found[0].path if found else "\x00"
            queryset = queryset.filter(org_unit__path__startswith=path)
        return asof.values_list(queryset.values_list("id", flat=True))

    def grid_rows(
        self, request: Request, params: dict[str, Any], keys: list[Any]
    ) -> list[dict[str, Any]]:
        raise NotImplementedError  # pragma: no cover
