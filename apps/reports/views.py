"""Query parameters and CSV downloads shared by the weekly report endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.reports.weeks import WeekRangeSerializer, week_label, week_range


class ReportQuerySerializer(WeekRangeSerializer):
    """from / to, plus `format` (json or csv) that the renderer already used."""

    format = serializers.ChoiceField(choices=["json", "csv"], required=False)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        attrs["weeks"] = week_range(attrs["from"], attrs["to"])
        return attrs


def wants_csv(request: Request) -> bool:
    return request.query_params.get("format") == "csv"


def csv_download(response: Response, name: str, params: dict[str, Any]) -> Response:
    """Mark a CSV response as a download named after the report and its weeks."""
    first, last = week_label(params["from"]), week_label(params["to"])
    response["Content-Disposition"] = f'attachment; filename="{name}_{first}_{last}.csv"'
    return response
