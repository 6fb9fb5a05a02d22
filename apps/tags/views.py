"""tags/ (the catalogue), employee-tags/, position-tags/ (HR admins write, every write logged),
tag-changes/ (read-only), and the candidates ranking behind positions/{id}/candidates/."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.viewsets import ServiceModelViewSet
from apps.org.models import Position
from apps.reports.weeks import WeekRangeSerializer
from apps.tags import selectors, services
from apps.tags.filters import EmployeeTagFilter, PositionTagFilter, TagChangeFilter, TagFilter
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog, TagChangeLog
from apps.tags.serializers import (
    CandidateSerializer,
    EmployeeTagSerializer,
    EmployeeTagWriteSerializer,
    PositionTagSerializer,
    PositionTagWriteSerializer,
    ReasonInputSerializer,
    TagChangeSerializer,
    TagSerializer,
    TagWriteSerializer,
)
from apps.users.permissions import ReadAnyWriteAdmin, RolePermission

WRITE_METHODS = ["get", "post", "put", "patch", "delete", "head", "options"]
REASON_PARAMETER = OpenApiParameter("reason", str, description="why (goes to the tag change log)")


class TagViewSet(ServiceModelViewSet):
    """The tag catalogue: everyone signed in reads it, HR admins edit it; tags are deactivated,
    not deleted."""

    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    permission_classes = [ReadAnyWriteAdmin]
    read_serializer_class = TagSerializer
    write_serializer_class = TagWriteSerializer
    filterset_class = TagFilter
    search_fields = ("code", "label", "description")
    ordering_fields = ("code", "label", "category")

    def get_queryset(self) -> QuerySet[TagCatalog]:
        return selectors.tag_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> TagCatalog:
        return services.tag_catalog_create(actor=self.request.user, **data)

    def perform_service_update(
        self, obj: TagCatalog, data: dict[str, Any], if_match: str | None
    ) -> TagCatalog:
        return services.tag_catalog_update(
            tag=obj, if_match=if_match, actor=self.request.user, **data
        )


def _reason(request: Request) -> str:
    """The optional `reason` of a DELETE, from the body or the query string."""
    data = ReasonInputSerializer(
        data=request.data or {"reason": request.query_params.get("reason", "")}
    )
    data.is_valid(raise_exception=True)
    return str(data.validated_data["reason"])


class EmployeeTagViewSet(ServiceModelViewSet):
    """The tags employees hold. HR admins add, change and remove them (each change logged);
    managers read those in their scope, employees their own."""

    http_method_names = WRITE_METHODS
    permission_classes = [RolePermission]
    read_serializer_class = EmployeeTagSerializer
    write_serializer_class = EmployeeTagWriteSerializer
    filterset_class = EmployeeTagFilter
    search_fields = ("tag__code", "tag__label", "employee__last_name", "employee__employee_number")
    ordering_fields = ("valid_from", "valid_until", "level", "id")

    def get_queryset(self) -> QuerySet[EmployeeTag]:
        return selectors.employee_tag_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> EmployeeTag:
        return services.employee_tag_add(actor=self.request.user, **data)

    def perform_service_update(
        self, obj: EmployeeTag, data: dict[str, Any], if_match: str | None
    ) -> EmployeeTag:
        return services.employee_tag_change(
            employee_tag=obj, if_match=if_match, actor=self.request.user, **data
        )

    @extend_schema(parameters=[REASON_PARAMETER], request=ReasonInputSerializer)
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        services.employee_tag_remove(employee_tag=obj, reason=_reason(request), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class PositionTagViewSet(ServiceModelViewSet):
    """The tags positions require or prefer. HR admins add, change and remove them (each change
    logged); others read those of the positions they see."""

    http_method_names = WRITE_METHODS
    permission_classes = [RolePermission]
    read_serializer_class = PositionTagSerializer
    write_serializer_class = PositionTagWriteSerializer
    filterset_class = PositionTagFilter
    search_fields = ("tag__code", "tag__label", "position__code", "position__title")
    ordering_fields = ("requirement", "min_level", "id")

    def get_queryset(self) -> QuerySet[PositionTag]:
        return selectors.position_tag_list(user=self.request.user)

    def perform_service_create(self, data: dict[str, Any]) -> PositionTag:
        return services.position_tag_add(actor=self.request.user, **data)

    def perform_service_update(
        self, obj: PositionTag, data: dict[str, Any], if_match: str | None
    ) -> PositionTag:
        return services.position_tag_change(
            position_tag=obj, if_match=if_match, actor=self.request.user, **data
        )

    @extend_schema(parameters=[REASON_PARAMETER], request=ReasonInputSerializer)
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        services.position_tag_remove(position_tag=obj, reason=_reason(request), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TagChangeViewSet(viewsets.ReadOnlyModelViewSet):  # type: ignore[type-arg]
    """The tag change log: read-only (writes are 405 for every role), newest first; what the
    caller's role may see."""

    http_method_names = ["get", "head", "options"]
    permission_classes = [IsAuthenticated]
    serializer_class = TagChangeSerializer
    filterset_class = TagChangeFilter
    search_fields = ("reason", "request_id", "tag__code")
    ordering_fields = ("at", "id")

    def get_queryset(self) -> QuerySet[TagChangeLog]:
        return selectors.tag_change_list(user=self.request.user)


class CandidateQuerySerializer(WeekRangeSerializer):
    """from / to (default: 12 weeks from this week) and the page parameters."""


CANDIDATE_PARAMETERS = [
    OpenApiParameter("from", str, description="first date (YYYY-MM-DD); default this week"),
    OpenApiParameter("to", str, description="last date (YYYY-MM-DD); default 12 weeks"),
    OpenApiParameter("page", int),
    OpenApiParameter("page_size", int),
]


def candidates_response(view: Any, request: Request, position: Position) -> Response:
    """positions/{id}/candidates/: the paginated ranking of candidates for `position`."""
    query = CandidateQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    ranking = selectors.position_candidates(
        position=position,
        user=request.user,
        first=query.validated_data["from"],
        last=query.validated_data["to"],
    )
    page = view.paginate_queryset(ranking)
    return view.get_paginated_response(CandidateSerializer(page, many=True).data)


class CandidatesAction:
    """GET positions/{id}/candidates/, which the tags app adds to the positions resource."""

    get_object: Any

    @extend_schema(
        parameters=CANDIDATE_PARAMETERS,
        responses=CandidateSerializer(many=True),
        summary="Employees ranked by tag fit and free hours over the period",
    )
    def candidates(self, request: Request, pk: str | None = None) -> Response:
        """Employees you can see, best first: required tags met, preferred tags met, free
        hours over the period; each with its score and a sentence explaining it."""
        return candidates_response(self, request, self.get_object())
