"""One exception handler: every error leaves the API as RFC 9457 problem details with a `code`."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response

from apps.core import request_id
from apps.core.codes import ErrorCode

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
# The log message of a problem code ErrorCode does not list (the tests fail on it).
UNLISTED_CODE = "problem code %r is not listed in apps.core.codes.ErrorCode"


class ProblemError(exceptions.APIException):
    """A domain error with a status, a stable code and extra members for the problem document."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = ErrorCode.BAD_REQUEST
    default_detail = "The request could not be processed."

    def __init__(self, detail: str | None = None, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail=detail, code=code)
        self.code = code or self.default_code
        self.extra = extra


class Conflict(ProblemError):
    """The request conflicts with the current state of the resource (409)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = ErrorCode.CONFLICT
    default_detail = "The request conflicts with the current state of the resource."


class PreconditionFailed(ProblemError):
    """If-Match did not match the current ETag (412)."""

    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = ErrorCode.PRECONDITION_FAILED
    default_detail = "The resource has changed since you read it (If-Match does not match)."


class Unprocessable(ProblemError):
    """Valid input that the domain refuses (422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = ErrorCode.UNPROCESSABLE
    default_detail = "The request is valid but cannot be carried out."


class ServiceUnavailable(ProblemError):
    """The database (or another dependency) cannot be reached (503)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = ErrorCode.SERVICE_UNAVAILABLE
    default_detail = "The service is temporarily unavailable; try again shortly."


class PayloadTooLarge(ProblemError):
    """The request body is larger than MAX_REQUEST_BYTES (413)."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = ErrorCode.PAYLOAD_TOO_LARGE
    default_detail = "The request body is too large."


def problem(
    status_code: int, code: str, detail: str, request: HttpRequest | None = None, **extra: Any
) -> dict[str, Any]:
    """The body of a problem-details document; `code` is one of ErrorCode (an unlisted one is
    logged as an error: the schema promises clients the listed ones)."""
    from http import HTTPStatus

    if code not in ErrorCode:
        logger.error(UNLISTED_CODE, code)
    code = str(code)
    body: dict[str, Any] = {
        "type": f"urn:coveris:problem:{code}",
        "title": HTTPStatus(status_code).phrase,
        "status": status_code,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.path
    rid = request_id.get()
    if rid:
        body["request_id"] = rid
    body.update(extra)
    return body


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        for value in codes.values():
            return _first_code(value)
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return ErrorCode.INVALID


def is_database_unavailable(exc: BaseException) -> bool:
    """The database cannot be reached (down, restarting, pool exhausted): retry later, 503."""
    from psycopg_pool import PoolTimeout

    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout)


def _translate(exc: Exception) -> Exception:
    """Turn Django and database errors into API exceptions before DRF sees them."""
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # ObjectDoesNotExist: a row deleted between the lookup and a service's lock.
        return exceptions.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, DjangoValidationError):
        # A model's own rules, checked by a service (apps.core.services.model_validate): the
        # same 400 with field errors as a serializer's.
        from rest_framework.serializers import as_serializer_error

        return exceptions.ValidationError(as_serializer_error(exc))
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return ProblemError(str(exc) or "Suspicious request.", code=ErrorCode.BAD_REQUEST)
    if is_database_unavailable(exc):
        logger.warning("database unavailable: %s", exc)
        return ServiceUnavailable(code=ErrorCode.DATABASE_UNAVAILABLE)
    if isinstance(exc, DataError):
        return ProblemError(
            "A value is out of range or of the wrong type.", code=ErrorCode.INVALID_VALUE
        )
    if isinstance(exc, IntegrityError):
        from rest_framework.serializers import as_serializer_error

        from apps.core.constraints import unique_violation

        duplicate = unique_violation(exc)
        if duplicate is not None:
            return exceptions.ValidationError(as_serializer_error(duplicate))
        logger.info("integrity error: %s", exc)
        return Conflict(
            "The change conflicts with existing data.", code=ErrorCode.INTEGRITY_CONFLICT
        )
    return exc


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's EXCEPTION_HANDLER: problem details for every APIException and known Django error."""
    exc = _translate(exc)
    if not isinstance(exc, exceptions.APIException):
        return None
    request = context.get("request")
    headers: dict[str, str] = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header  # type: ignore[attr-defined]
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]

    extra: dict[str, Any] = {}
    if isinstance(exc, exceptions.ValidationError):
        code: str = ErrorCode.INVALID
        detail = "The input is not valid."
        if isinstance(exc.detail, dict):
            extra["errors"] = exc.detail
        else:
            extra["errors"] = {"non_field_errors": exc.detail}
            code = _first_code(exc.get_codes())
            code = ErrorCode.INVALID if code in (ErrorCode.INVALID, "non_field_errors") else code
    elif isinstance(exc, ProblemError):
        code = exc.code
        detail = str(exc.detail)
        extra.update(exc.extra)
    elif isinstance(exc.detail, dict) and {"detail", "code"} <= exc.detail.keys():
        # simplejwt's errors carry {"detail", "code", "messages"} as their detail: its code
        # (user_inactive, user_not_found, token_not_valid) is the one clients rely on.
        code = str(exc.detail["code"])
        detail = str(exc.detail["detail"])
    else:
        code = _first_code(exc.get_codes())
        detail = str(exc.detail)

    # Imported here: rest_framework.views imports the authentication classes, which import us.
    from rest_framework.views import set_rollback

    body = problem(exc.status_code, code, detail, request, **extra)
    set_rollback()
    return Response(
        body, status=exc.status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE
    )


def _plain_problem(request: HttpRequest, status_code: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse(
        problem(status_code, code, detail, request),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def handler400(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django-level 400 (outside DRF views)."""
    return _plain_problem(request, 400, ErrorCode.BAD_REQUEST, "Bad request.")


def handler403(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django-level 403 (outside DRF views)."""
    return _plain_problem(request, 403, ErrorCode.PERMISSION_DENIED, "You may not do this.")


def handler404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    """Django-level 404: unknown URL."""
    return _plain_problem(request, 404, ErrorCode.NOT_FOUND, "Not found.")


def handler500(request: HttpRequest) -> JsonResponse:
    """Django-level 500: never a stack trace, always a problem document."""
    return _plain_problem(request, 500, ErrorCode.SERVER_ERROR, "An unexpected error occurred.")
