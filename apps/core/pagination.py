"""Page-number pagination for every list (count, next, previous, results)."""

from typing import Any

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from apps.core.codes import ErrorCode
from apps.core.versions import kept_count


class StrictPageSizeMixin:
    """`page_size` is a whole number of at least 1, clamped to `max_page_size`; anything else is
    a 400 (DRF silently falls back to the default size, hiding the client's mistake)."""

    page_size: Any
    page_size_query_param: str | None
    max_page_size: int | None

    def get_page_size(self, request: Any) -> Any:
        raw = request.query_params.get(self.page_size_query_param or "")
        if raw is None or raw == "":
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            size = 0
        if size < 1:
            raise ValidationError(
                {"page_size": ["A whole number of at least 1 is required."]}, code=ErrorCode.INVALID
            )
        return min(size, self.max_page_size) if self.max_page_size else size


class KeptCountPaginator(Paginator):
    """A page's `count` kept under a data version when every table the list reads has one
    (apps.core.versions): the exact COUNT(*) of a 100,000-row list costs ten times its page."""

    @cached_property
    def count(self) -> int:
        if isinstance(self.object_list, QuerySet):
            kept = kept_count(self.object_list)
            if kept is not None:
                return kept
        return super().count


class CoverisPagination(StrictPageSizeMixin, PageNumberPagination):
    """Pages of COVERIS_PAGE_SIZE (default 25); `page_size` may ask for up to 100."""

    django_paginator_class = KeptCountPaginator

    page_size = settings.COVERIS_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 100
