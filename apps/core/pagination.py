"""Page-number pagination for every list (count, next, previous, results)."""

from django.conf import settings
from rest_framework.pagination import PageNumberPagination


class CoverisPagination(PageNumberPagination):
    """Pages of COVERIS_PAGE_SIZE (default 25); `page_size` may ask for up to 100."""

    page_size = settings.COVERIS_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = 100
