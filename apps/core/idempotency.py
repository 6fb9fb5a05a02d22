"""Idempotency keys (DESIGN.md §12): a POST under /api/ that carries an `Idempotency-Key` header
is carried out once per user and key; a retry with the same key and the same request gets the
first answer again (its status, body and Content-Type / Location / ETag, with
`Idempotent-Replayed: true`) without a second write.

One middleware (`IdempotencyMiddleware`, placed after the URL is settled) does it for every DRF
view that authenticates, so no view opts in and none can forget to. The user is known only
once DRF's authenticators have run, so the middleware runs the view's own authenticators
(bearer, the cookie with its CSRF check, Cognito) on the request first; the view authenticates
again, as it always does. A request they do not authenticate goes to the view untouched (which
answers its 401 / 403). Views without authenticators (the auth endpoints: login, token,
refresh, logout) take no key: there is no user to key on, their answers are credentials that
must not be stored, and a repeated login writes nothing a client would mind twice.

For a keyed request, in ONE transaction:

1. the key is claimed: `INSERT ... ON CONFLICT (user, key) DO UPDATE ... WHERE expired`. A
   concurrent request with the same key waits on the first one's row until that one commits
   or rolls back (PostgreSQL's unique index), for at most `WAIT_SECONDS`; after that it answers
   409 `idempotency_key_in_progress` (Retry-After: 1). A key older than `TTL_SECONDS` is taken
   over as a fresh one.
2. not claimed: the row holds the first answer. The same request (method and path, query
   string, Content-Type and body, byte for byte; compared as an HMAC under SECRET_KEY, since
   a body may hold a password) replays it; any other is 422 `idempotency_key_reused`.
3. claimed: the view runs inside the transaction, and its answer is stored in the key's row
   before the commit, so no write commits without its key, nor a key without its write.
   Stored: every answer below 500 except 429 (as Stripe: a validation error is the answer to
   that request; a throttle is not). A 5xx, or a view that left the transaction failed, rolls
   everything back, the key included: a retry runs afresh. A 429 or a streamed answer releases
   the key (nothing to replay).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import tempfile
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError, connection, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.crypto import salted_hmac

from apps.core import sealing
from apps.core.codes import ErrorCode

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# How long a key is kept (and answered from): DESIGN.md §12.
TTL_SECONDS = 24 * 60 * 60
# How long a request waits for a concurrent one with the same key before answering 409.
WAIT_SECONDS: float = 10
# 1-255 printable ASCII characters, not starting or ending with a space.
MAX_LENGTH = 255
KEY_PATTERN = r"^[!-~](?:[ -~]{0,253}[!-~])?$"
_KEY = re.compile(KEY_PATTERN)
# The headers of an answer that are part of it (the rest are the serving's: request id, CORS...).
REPLAYED_HEADERS = ("Content-Type", "Location", "ETag")

_CLAIM = f"""
INSERT INTO core_idempotencykey AS k
    (user_id, "key", request, fingerprint, status_code, response_headers, response_body,
     created_at)
VALUES (%s, %s, %s, %s, NULL, '{{}}'::jsonb, ''::bytea, now())
ON CONFLICT (user_id, "key") DO UPDATE
    SET request = EXCLUDED.request, fingerprint = EXCLUDED.fingerprint, status_code = NULL,
        response_headers = '{{}}'::jsonb, response_body = ''::bytea, created_at = now()
    WHERE k.created_at <= now() - interval '{TTL_SECONDS} seconds'
RETURNING id
"""


def keyed(view_class: Any) -> bool:
    """Does a POST to this view take an Idempotency-Key? Every DRF view that authenticates."""
    return bool(getattr(view_class, "authentication_classes", None))


def valid_key(value: str) -> bool:
    return len(value) <= MAX_LENGTH and _KEY.match(value) is not None


def fingerprint(request: HttpRequest) -> str:
    """What makes two requests to one endpoint the same (query string, content type and body),
    as an HMAC-SHA256 under SECRET_KEY: a body may hold a password (users/), and a plain hash
    of it kept in the database would be a fast one to guess at."""
    digest = hmac.new(
        salted_hmac("apps.core.idempotency", b"", algorithm="sha256").digest(),
        digestmod=hashlib.sha256,
    )
    for part in (
        request.META.get("QUERY_STRING", "").encode("latin-1", "replace"),
        request.META.get("CONTENT_TYPE", "").strip().lower().encode("latin-1", "replace"),
    ):
        digest.update(f"{len(part)}:".encode())
        digest.update(part)
    try:
        digest.update(request.body)
    except RequestDataTooBig:
        _digest_upload(request, digest)
    return digest.hexdigest()


def _digest_upload(request: HttpRequest, digest: Any) -> None:
    """A body over the JSON limit (a file upload): hashed as it is read into a spooled file that
    then stands in for the request's stream, so the view parses it as if unread. Over
    MAX_UPLOAD_BYTES it is not keyed (RequestDataTooBig again: the view answers its 413)."""
    limit = getattr(settings, "MAX_UPLOAD_BYTES", 0)
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    if not limit or length > limit:
        raise RequestDataTooBig("The body is larger than any endpoint takes.")
    stream: Any = request._stream  # type: ignore[attr-defined]
    if hasattr(stream, "seekable") and stream.seekable():
        stream.seek(0)  # Django's size check may have left a spooled body at its end
    # Not a `with`: the spool outlives this call, as the request's stream.
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)  # noqa: SIM115
    read = 0
    while chunk := request.read(64 * 1024):
        read += len(chunk)
        digest.update(chunk)
        spool.write(chunk)
    spool.seek(0)
    request._stream = spool  # type: ignore[attr-defined, assignment]
    request._read_started = False  # type: ignore[attr-defined]
    if read > limit:
        raise RequestDataTooBig("The body is larger than any endpoint takes.")


def _problem(request: HttpRequest, status: int, code: str, detail: str) -> JsonResponse:
    from apps.core.exceptions import PROBLEM_CONTENT_TYPE, problem

    return JsonResponse(
        problem(status, code, detail, request), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def _view_class(request: HttpRequest) -> Any:
    try:
        match = resolve(request.path_info, getattr(request, "urlconf", None))
    except Resolver404:
        return None
    return getattr(match.func, "cls", None)


def _user(request: HttpRequest, view_class: Any) -> Any:
    """The user the view's authenticators find, or None (the view then answers for itself)."""
    from rest_framework.exceptions import APIException
    from rest_framework.request import Request

    drf_request = Request(request, authenticators=[a() for a in view_class.authentication_classes])
    try:
        user = drf_request.user
    except APIException:
        return None
    return user if getattr(user, "is_authenticated", False) else None


def _in_progress(request: HttpRequest) -> JsonResponse:
    return _problem(
        request,
        409,
        ErrorCode.IDEMPOTENCY_KEY_IN_PROGRESS,
        f"A request with this {HEADER} is still being processed; retry shortly.",
    )


# A stored answer that holds a secret (a webhook's signing secret) is kept sealed.
_SEALED = b"sealed:"
_PURPOSE = "idempotent-answer"


def sensitive(response: HttpResponseBase) -> HttpResponseBase:
    """Mark an answer that holds a secret: if its request carried a key, the answer is stored
    encrypted for the replay."""
    response.coveris_sensitive = True  # type: ignore[attr-defined]
    return response


def _stored_body(response: HttpResponseBase) -> bytes:
    body: bytes = response.content  # type: ignore[attr-defined]
    if getattr(response, "coveris_sensitive", False):
        return _SEALED + sealing.seal(_PURPOSE, body)
    return body


def _replayed_body(stored: bytes) -> bytes:
    if stored.startswith(_SEALED):
        return sealing.unseal(_PURPOSE, stored[len(_SEALED) :])
    return stored


def _replay(row: Any) -> HttpResponse:
    response = HttpResponse(_replayed_body(bytes(row.response_body)), status=row.status_code)
    if "Content-Type" not in row.response_headers:
        del response["Content-Type"]
    for name, value in row.response_headers.items():
        response[name] = value
    response[REPLAYED_HEADER] = "true"
    return response


def _storable(response: HttpResponseBase) -> bool:
    return response.status_code < 500 and response.status_code != 429 and not response.streaming


def _transaction_failed() -> bool:
    """The view left the transaction unusable (a failed statement it caught)."""
    from psycopg.pq import TransactionStatus

    raw = connection.connection
    return connection.needs_rollback or (
        raw is not None and raw.info.transaction_status == TransactionStatus.INERROR
    )


def _lock_timed_out(exc: OperationalError) -> bool:
    from psycopg.errors import LockNotAvailable

    return isinstance(exc.__cause__, LockNotAvailable)


class IdempotencyMiddleware:
    """See the module's docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path_info.startswith("/api/"):
            return self.get_response(request)
        view_class = _view_class(request)
        if not keyed(view_class):
            return self.get_response(request)
        if not valid_key(key):
            return _problem(
                request,
                400,
                ErrorCode.INVALID_IDEMPOTENCY_KEY,
                f"{HEADER} must be 1 to {MAX_LENGTH} printable ASCII characters, "
                "not starting or ending with a space.",
            )
        user = _user(request, view_class)
        if user is None:
            return self.get_response(request)
        try:
            digest = fingerprint(request)
        except RequestDataTooBig:
            return self.get_response(request)  # the view's parser answers 413
        try:
            return self._once(request, user, key, digest)
        except OperationalError as exc:
            # Raised here, outside the view, it would miss DatabaseUnavailableMiddleware.
            if _lock_timed_out(exc):
                response = _in_progress(request)
                response["Retry-After"] = "1"
            else:
                response = _problem(
                    request,
                    503,
                    ErrorCode.DATABASE_UNAVAILABLE,
                    "The database is unavailable; try again shortly.",
                )
                response["Retry-After"] = "5"
            return response

    def _once(self, request: HttpRequest, user: Any, key: str, digest: str) -> HttpResponseBase:
        from apps.core.models import IdempotencyKey

        described = f"{request.method} {request.path_info}"
        with transaction.atomic():
            with connection.cursor() as cursor:
                # Waiting for a concurrent request with this key is bounded; the view's own
                # lock waits keep the connection's setting.
                cursor.execute(
                    "SELECT current_setting('lock_timeout'), set_config('lock_timeout', %s, true)",
                    [str(int(WAIT_SECONDS * 1000))],
                )
                (lock_timeout, _) = cursor.fetchone()  # type: ignore[misc]
                cursor.execute(_CLAIM, [user.pk, key, described, digest])
                claimed = cursor.fetchone()
                cursor.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
            if claimed is None:
                row = IdempotencyKey.objects.get(user=user, key=key)
                if row.request != described or row.fingerprint != digest:
                    return _problem(
                        request,
                        422,
                        ErrorCode.IDEMPOTENCY_KEY_REUSED,
                        f"This {HEADER} was used with another request (endpoint, query, "
                        "content type or body); send a new key for a new request.",
                    )
                if row.status_code is None:  # pragma: no cover - never committed so
                    return _in_progress(request)
                return _replay(row)

            response = self.get_response(request)
            if response.status_code >= 500 or _transaction_failed():
                transaction.set_rollback(True)
            elif not _storable(response):
                IdempotencyKey.objects.filter(pk=claimed[0]).delete()
            else:
                IdempotencyKey.objects.filter(pk=claimed[0]).update(
                    status_code=response.status_code,
                    response_headers={
                        name: response[name]
                        for name in REPLAYED_HEADERS
                        if response.has_header(name)
                    },
                    response_body=_stored_body(response),
                )
            return response


def purge_expired() -> int:
    """Delete the keys older than TTL_SECONDS (`manage.py purge_idempotency_keys`); how many."""
    import datetime as dt

    from django.utils import timezone

    from apps.core.models import IdempotencyKey

    cutoff = timezone.now() - dt.timedelta(seconds=TTL_SECONDS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted
