"""Page-number pagination for every list (count, next, previous, results)."""

from typing import Any

from django.conf import settings
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination

from apps.core.codes import ErrorCode


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


class CoverisPagination(StrictPageSizeMixin, PageNumberPagination):
    """Pages of COVERIS_PAGE_SIZE (default 25); `page_size` may ask for up to 100."""

    page_size = settings.COVERIS_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 100
