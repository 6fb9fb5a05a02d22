"""calendars/ (working calendars: everyone reads, HR admins write), their days (calendar-days/,
and calendars/{id}/days/), public holidays generated into them (calendars/{id}/holidays/) and
their exceptions as iCalendar (calendars/{id}/ics/, out and in)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import UnsupportedMediaType
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from apps.calendars import ics, services
from apps.calendars.filters import CalendarDayFilter
from apps.calendars.models import CalendarDay, WorkCalendar
from apps.calendars.parsers import ICalendarParser
from apps.calendars.serializers import (
    CalendarDaySerializer,
    CalendarDayWriteSerializer,
    HolidaysInputSerializer,
    HolidaysResultSerializer,
    IcsImportResultSerializer,
    WorkCalendarSerializer,
    WorkCalendarWriteSerializer,
)
from apps.core.codes import ErrorCode
from apps.core.exceptions import ProblemError
from apps.core.serializers import reject_body
from apps.core.viewsets import ServiceModelViewSet
from apps.users.permissions import ReadAnyWriteAdmin

DATE_RANGE = [
    OpenApiParameter("from", str, description="On or after this date (YYYY-MM-DD)"),
    OpenApiParameter("to", str, description="On or before this date (YYYY-MM-DD)"),
]


class CalendarViewSet(ServiceModelViewSet):
    """Working calendars: the hours of a normal week and the dates that differ. Kept, never
    deleted (org units name them)."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    permission_classes = [ReadAnyWriteAdmin]
    read_serializer_class = WorkCalendarSerializer
    write_serializer_class = WorkCalendarWriteSerializer
    search_fields = ("code", "name")
    ordering_fields = ("code", "name", "id")

    def get_queryset(self) -> QuerySet[WorkCalendar]:
        return WorkCalendar.objects.order_by("code")

    def perform_service_create(self, data: dict[str, Any]) -> WorkCalendar:
        return services.calendar_create(actor=self.request.user, **data)

    def perform_service_update(
        self, obj: WorkCalendar, data: dict[str, Any], if_match: str | None
    ) -> WorkCalendar:
        return services.calendar_update(
            calendar=obj, if_match=if_match, actor=self.request.user, **data
        )

    @extend_schema(
        parameters=DATE_RANGE,
        responses=CalendarDaySerializer(many=True),
        summary="The calendar's exceptions",
    )
    @action(detail=True, methods=["get"], url_path="days", filter_backends=[])
    def days(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        rows = CalendarDayFilter(
            request.query_params, queryset=calendar.days.order_by("date"), request=request
        )
        if not rows.is_valid():
            from rest_framework.exceptions import ValidationError

            raise ValidationError(rows.errors)
        page = self.paginate_queryset(rows.qs)
        return self.get_paginated_response(CalendarDaySerializer(page, many=True).data)

    @extend_schema(
        request=HolidaysInputSerializer,
        responses={201: HolidaysResultSerializer},
        summary="Add public holidays (the holidays package) as days off; idempotent",
    )
    @action(detail=True, methods=["post"], url_path="holidays")
    def holidays(self, request: Request, pk: str | None = None) -> Response:
        calendar = self.get_object()
        data = HolidaysInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.holidays_generate(
            calendar=calendar, actor=request.user, **data.validated_data
        )
        body = {
            "created": len(result.created),
            "unchanged": result.unchanged,
            "days": CalendarDaySerializer(result.created, many=True).data,
        }
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={(200, ics.CONTENT_TYPE): OpenApiResponse(description="iCalendar file")},
        summary="The calendar's exceptions as iCalendar",
    )
    @extend_schema(
        methods=["POST"],
        request={ics.CONTENT_TYPE: {"type": "string", "format": "binary"}},
        responses={200: IcsImportResultSerializer},
        summary="Import exceptions from an iCalendar file (all or nothing)",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="ics",
        parser_classes=[ICalendarParser],
        pagination_class=None,
        filter_backends=[],
    )
    def ics(self, request: Request, pk: str | None = None) -> Any:
        calendar = self.get_object()
        if request.method in SAFE_METHODS:  # GET and HEAD (and HEAD must never write)
            response = StreamingHttpResponse(ics.export(calendar), content_type=ics.CONTENT_TYPE)
            response["Content-Disposition"] = f'attachment; filename="{calendar.code}.ics"'
            return response
        if not request.content_type and not request.stream:
            raise ProblemError(
                f"Send the iCalendar file as the body ({ics.CONTENT_TYPE}).",
                code=ErrorCode.INVALID_ICALENDAR,
            )
        if not (request.content_type or "").startswith(ics.CONTENT_TYPE):
            raise UnsupportedMediaType(
                request.content_type or "none", detail=(f"Send the file as {ics.CONTENT_TYPE}.")
            )
        body = request.data if isinstance(request.data, bytes) else b""
        result = ics.import_days(calendar=calendar, data=body, actor=request.user)
        return Response(IcsImportResultSerializer(result).data)


class CalendarDayViewSet(ServiceModelViewSet):
    """The exceptions of every calendar: HR admins add, change and remove them."""

    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]
    permission_classes = [ReadAnyWriteAdmin]
    read_serializer_class = CalendarDaySerializer
    write_serializer_class = CalendarDayWriteSerializer
    filterset_class = CalendarDayFilter
    ordering_fields = ("date", "id")

    def get_queryset(self) -> QuerySet[CalendarDay]:
        return CalendarDay.objects.order_by("calendar_id", "date")

    def perform_service_create(self, data: dict[str, Any]) -> CalendarDay:
        return services.calendar_day_create(actor=self.request.user, **data)

    def perform_service_update(
        self, obj: CalendarDay, data: dict[str, Any], if_match: str | None
    ) -> CalendarDay:
        return services.calendar_day_update(
            day=obj, if_match=if_match, actor=self.request.user, **data
        )

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        reject_body(request)
        services.calendar_day_delete(day=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
