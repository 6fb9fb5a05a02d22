"""Paginating weekly grids (keys × weeks) without computing the rows of other pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import InvalidPage, Paginator
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from apps.core.pagination import CoverisPagination


class _Grid(Sequence[Any]):
    """A lazily computed sequence of len(keys) × weeks rows, ordered by key then week."""

    def __init__(
        self, keys: list[Any], weeks: int, compute: Callable[[list[Any]], list[Any]]
    ) -> None:
        self.keys, self.weeks, self.compute = keys, weeks, compute

    def __len__(self) -> int:
        return len(self.keys) * self.weeks

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop, _ = index.indices(len(self))
        if start >= stop:
            return []
        first_key, last_key = start // self.weeks, (stop - 1) // self.weeks
        rows = self.compute(self.keys[first_key : last_key + 1])
        offset = first_key * self.weeks
        return rows[start - offset : stop - offset]


def grid_response(
    request: Request,
    view: Any,
    keys: list[Any],
    weeks: int,
    compute: Callable[[list[Any]], list[Any]],
    paginate: bool = True,
) -> Response:
    """A paginated response over the keys × weeks grid, computing only the page's keys."""
    grid = _Grid(keys, weeks, compute)
    if not paginate:
        return Response(list(grid[0 : len(grid)]))
    pager = CoverisPagination()
    size = pager.get_page_size(request) or pager.page_size
    paginator = Paginator(grid, size)  # type: ignore[arg-type]
    try:
        page = paginator.page(request.query_params.get(pager.page_query_param, 1))
    except InvalidPage as exc:
        raise NotFound(f"Invalid page: {exc}") from exc
    url = request.build_absolute_uri()
    next_url = (
        replace_query_param(url, "page", page.next_page_number()) if page.has_next() else None
    )
    previous_url = None
    if page.has_previous():
        number = page.previous_page_number()
        previous_url = (
            remove_query_param(url, "page")
            if number == 1
            else replace_query_param(url, "page", number)
        )
    return Response(
        {
            "count": paginator.count,
            "next": next_url,
            "previous": previous_url,
            "results": list(page.object_list),
        }
    )
