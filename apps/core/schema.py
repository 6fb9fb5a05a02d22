"""OpenAPI generation: every operation documents the problem documents it can answer with.

drf-spectacular lists only the success response of each operation. Clients (and the schema-driven
fuzz tests) rely on the schema for the error statuses too, so the hook below adds, per operation,
the RFC 9457 problem responses the API contract (DESIGN.md section 5) says it may return, marks
optional query parameters as accepting an empty value (read as absent). AutoSchema describes CSV
(the reports' `?format=csv`, the audit-log export) as text, not as the JSON body.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as _SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter
from rest_framework.pagination import CursorPagination

from apps.core import idempotency
from apps.core.codes import ErrorCode
from apps.core.exceptions import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; `code` is stable and machine-readable.",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {
            "type": "string",
            "description": "Stable and machine-readable: clients branch on it (apps.core.codes).",
            "enum": [code.value for code in ErrorCode],
        },
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "object",
            "description": "Field errors: field name to a list of messages (or nested errors).",
            "additionalProperties": True,
        },
        "violations": {
            "type": "array",
            "description": "Business-rule violations that blocked the request (422).",
            "items": {"type": "object", "additionalProperties": True},
        },
    },
    "required": ["type", "title", "status", "detail", "code"],
}

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=idempotency.HEADER,
    type={
        "type": "string",
        "minLength": 1,
        "maxLength": idempotency.MAX_LENGTH,
        "pattern": idempotency.KEY_PATTERN,
    },
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Makes the POST safe to retry: the same key with the same request (endpoint, query, "
        "content type and body) within 24 hours replays the first answer (status, body, "
        "`Content-Type`, `Location`, `ETag`, and `Idempotent-Replayed: true`) without a second "
        "write; with another request it is a 422 `idempotency_key_reused`; while the first is "
        "still running, the retry waits for it, at most 10 s, then 409 "
        "`idempotency_key_in_progress`. Keys are per user. 5xx and 429 answers are not kept."
    ),
)

# Non-JSON bodies (apps.core.renderers.CSVRenderer, StreamingHttpResponse downloads): text.
TEXT_MEDIA_TYPES: dict[str, dict[str, Any]] = {
    "text/csv": {"type": "string", "description": "CSV: a header line, then one line per row."},
}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses `operation` may answer with."""
    # Throttled everywhere; 503 when the database is unreachable; 406 for an Accept header the
    # API cannot satisfy (content negotiation runs before the view).
    statuses = {406, 429, 503}
    if operation.get("security", [{}]) != [{}]:
        statuses |= {401, 403}
    elif method in WRITE_METHODS:
        # The auth endpoints: wrong credentials or tokens (401), missing CSRF token (403).
        statuses |= {401, 403}
    parameters = operation.get("parameters", [])
    has_query = any(p.get("in") == "query" for p in parameters)
    if "{" in path or any(p.get("name") in ("page", "cursor") for p in parameters):
        statuses.add(404)  # an object that does not exist or is outside the caller's scope
    if has_query or "requestBody" in operation or method in WRITE_METHODS:
        statuses.add(400)
    if method in WRITE_METHODS:
        statuses |= {409, 413, 415, 422}  # conflicts, body size limit, JSON only, rule blocks
    if method in ("put", "patch"):
        statuses.add(412)  # If-Match
    return statuses


def _problem_response(status: int) -> dict[str, Any]:
    return {
        "description": HTTPStatus(status).phrase,
        "content": {PROBLEM_CONTENT_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def add_problem_responses(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular POSTPROCESSING_HOOKS entry (see the module's docstring)."""
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for parameter in operation.get("parameters", []):
                # Lists, filters, pagination and reports read `?name=` like an absent parameter
                # (as HTML forms send empty fields): say so, or clients would think it invalid.
                if parameter.get("in") == "query" and not parameter.get("required"):
                    parameter["allowEmptyValue"] = True
            responses = operation["responses"]
            for status in sorted(_statuses(path, method, operation)):
                responses.setdefault(str(status), _problem_response(status))
            operation["responses"] = dict(sorted(responses.items()))
    return result


class AutoSchema(_SpectacularAutoSchema):
    """drf-spectacular's AutoSchema; a cursor-paginated list gets a component of its own, and a
    CSV body is text.

    Both envelopes of one serializer would otherwise share `Paginated<Name>List`, and whichever
    came first described the other: the audit-log stream (cursor) was documented with the
    `count` of the history pages (page numbers).

    drf-spectacular gives every renderer of a view the serializer's schema: a report's text/csv
    would be the JSON envelope, so a typed client read CSV as an object. CSV is a string; the
    JSON media type keeps the real schema (clients pick it: clients/typescript/src/api.ts).
    """

    def _get_response_for_code(
        self,
        serializer: Any,
        status_code: str,
        media_types: list[str] | None = None,
        direction: str = "response",
    ) -> dict[str, Any]:
        response: dict[str, Any] = super()._get_response_for_code(
            serializer, status_code, media_types, direction
        )
        if "content" not in response and media_types and set(media_types) <= set(TEXT_MEDIA_TYPES):
            # A download without a serializer (the audit-log export): still a text body.
            response["content"] = {media_type: {} for media_type in media_types}
        content: dict[str, Any] = response.get("content", {})
        for media_type in content:
            if media_type in TEXT_MEDIA_TYPES:
                content[media_type] = {"schema": {**TEXT_MEDIA_TYPES[media_type]}}
        return response

    def get_override_parameters(self) -> list[Any]:
        """Every POST of a view that authenticates takes an Idempotency-Key
        (apps.core.idempotency)."""
        parameters = list(super().get_override_parameters())
        if self.method == "POST" and idempotency.keyed(type(self.view)):
            parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return parameters

    def get_paginated_name(self, serializer_name: str) -> str:
        name = super().get_paginated_name(serializer_name)
        if isinstance(self._get_paginator(), CursorPagination):
            return f"Cursor{name}"
        return name


class ContributedFieldExtension(OpenApiSerializerFieldExtension):
    """A field another app contributes to a serializer (apps.core.serializers.Contributions) is
    documented as the serializer field it declares."""

    target_class = "apps.core.serializers._ContributedField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        return auto_schema._map_serializer_field(self.target.contribution.field(), direction)
