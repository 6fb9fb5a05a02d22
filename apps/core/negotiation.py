"""Content negotiation: `?format=` names one of the view's formats, or it is a 400."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from apps.core.codes import ErrorCode


class ContentNegotiation(DefaultContentNegotiation):
    """DRF answers an unknown `?format=` with a bare 404 ("Not found."), as if the resource did
    not exist; the resource exists, the parameter is wrong: a 400 that lists the formats."""

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> Any:
        wanted = request.query_params.get(self.settings.URL_FORMAT_OVERRIDE or "")
        if format_suffix is None and wanted:
            renderers = list(renderers)
            offered = [str(renderer.format) for renderer in renderers]
            if wanted not in offered:
                raise ValidationError(
                    {"format": [f"Unknown format. Available: {', '.join(offered)}."]},
                    code=ErrorCode.INVALID,
                )
        return super().select_renderer(request, renderers, format_suffix)
