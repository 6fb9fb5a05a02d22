"""The machine-readable codes of the API's errors: one enum clients can rely on.

Every problem document carries one of these as its `code` (docs/ARCHITECTURE.md §3), and the
OpenAPI schema lists them all as the `enum` of the `Problem` component's `code`
(apps/core/schema.py). Codes are stable: a client branches on them, never on `detail`.
Besides the project's own codes the enum lists those of DRF and simplejwt that reach clients.
The exception handler logs a code that is not listed here, and the tests fail on it.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """The `code` of a problem document (grouped by the status it comes with)."""

    # 400: the request is malformed or its values are refused
    INVALID = "invalid"  # field errors (`errors`), unknown fields, wrong types, bad filters
    PARSE_ERROR = "parse_error"  # malformed JSON
    DUPLICATE_KEY = "duplicate_key"  # a JSON object repeats a key
    INVALID_VALUE = "invalid_value"  # a value the database refuses as out of range
    BAD_REQUEST = "bad_request"  # a request Django refuses (e.g. a suspicious Host header)
    NULL_CHARACTERS_NOT_ALLOWED = "null_characters_not_allowed"  # a NUL in a query parameter
    CYCLE = "cycle"  # an org unit moved below itself
    INVALID_LEVEL = "invalid_level"  # a tag level outside 1-5
    END_BEFORE_START = "end_before_start"
    IMMUTABLE = "immutable"  # a field that cannot change once set
    INVALID_ICALENDAR = "invalid_icalendar"  # a malformed .ics upload (`line` names where)
    INVALID_IDEMPOTENCY_KEY = "invalid_idempotency_key"  # empty, too long, not printable ASCII
    # An import's file as a whole (`line` or `columns` say where)
    UNSUPPORTED_FILE = "unsupported_file"  # neither CSV nor XLSX (.xls, .ods)
    INVALID_ENCODING = "invalid_encoding"  # a CSV that is not UTF-8, or holds NUL bytes
    MALFORMED_FILE = "malformed_file"  # an unclosed quote, a damaged workbook
    ARCHIVE_TOO_LARGE = "archive_too_large"  # an .xlsx that would unpack too far (zip bomb)
    EMPTY_FILE = "empty_file"  # no header, or a header and no rows
    UNKNOWN_COLUMNS = "unknown_columns"  # `columns` lists them, `valid` the kind's columns
    MISSING_COLUMNS = "missing_columns"
    DUPLICATE_COLUMNS = "duplicate_columns"
    TOO_MANY_ROWS = "too_many_rows"
    # Webhooks (apps/events)
    PRIVATE_ADDRESS = "private_address"  # a URL resolving to a private/loopback/link-local host
    INSECURE_URL = "insecure_url"  # plain http:// where HTTPS is required (production)
    UNRESOLVABLE_HOST = "unresolvable_host"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"  # `valid` lists the event types
    INVALID_CURSOR = "invalid_cursor"  # an events/ cursor this server did not hand out
    # 401: no, bad, expired or blacklisted credentials
    NOT_AUTHENTICATED = "not_authenticated"
    AUTHENTICATION_FAILED = "authentication_failed"
    TOKEN_NOT_VALID = "token_not_valid"
    BAD_AUTHORIZATION_HEADER = "bad_authorization_header"
    INVALID_CREDENTIALS = "invalid_credentials"
    NO_REFRESH_TOKEN = "no_refresh_token"
    USER_INACTIVE = "user_inactive"
    USER_NOT_FOUND = "user_not_found"
    # 403: the role may not do this
    PERMISSION_DENIED = "permission_denied"
    CSRF_FAILED = "csrf_failed"
    OVERRIDE_NOT_ALLOWED = "override_not_allowed"  # only HR admins override business rules
    PAST_LEAVE_ADMIN_ONLY = "past_leave_admin_only"  # leave starting before today
    OWN_REQUEST = "own_request"  # a manager deciding their own leave request
    # 404, 405, 406
    NOT_FOUND = "not_found"  # also an object outside the caller's scope
    METHOD_NOT_ALLOWED = "method_not_allowed"
    NOT_ACCEPTABLE = "not_acceptable"  # an Accept header that excludes JSON
    # 409: the request conflicts with the current state
    CONFLICT = "conflict"
    TRANSITION_NOT_ALLOWED = "transition_not_allowed"  # not from this state, or a lost race
    INTEGRITY_CONFLICT = "integrity_conflict"  # a unique constraint
    EMPLOYEE_TERMINATED = "employee_terminated"
    NOT_EDITABLE = "not_editable"  # only proposed assignments can be edited
    OVERLAPPING_REQUIREMENT = "overlapping_requirement"
    INACTIVE_TAG = "inactive_tag"
    DUPLICATE_TAG = "duplicate_tag"
    USE_REVERSE = "use_reverse"  # ledger corrections are reversals
    NOT_REVERSIBLE = "not_reversible"
    ALREADY_REVERSED = "already_reversed"
    IDEMPOTENCY_KEY_IN_PROGRESS = "idempotency_key_in_progress"  # the key's first request runs
    IMPORT_NOT_VALIDATED = "import_not_validated"  # commit before the dry run ended, or twice
    WEBHOOK_INACTIVE = "webhook_inactive"  # a delivery retried while its webhook is off
    LEAVE_OVERLAP = "leave_overlap"  # `conflicting_request`: the open request on those days
    # 412, 413, 415
    PRECONDITION_FAILED = "precondition_failed"  # If-Match does not match the ETag
    PAYLOAD_TOO_LARGE = "payload_too_large"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    # 422: valid, but the domain refuses it
    UNPROCESSABLE = "unprocessable"
    RULE_VIOLATION = "rule_violation"  # business rules with severity `error` (`violations`)
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"  # the key came with another request
    IMPORT_HAS_ERRORS = "import_has_errors"  # an all-or-nothing commit of rows in error
    # Leave (apps/leave)
    ACROSS_TERMINATION = "across_termination"  # leave past the employee's termination date
    OUTSIDE_EMPLOYMENT = "outside_employment"  # leave before the hire date
    NO_WORKING_HOURS = "no_working_hours"  # the days hold no working hours to take off
    TOO_MANY_HOURS = "too_many_hours"  # more hours than the days can hold
    LEAVE_SPANS_YEARS = "leave_spans_years"  # a request ends in the year it starts
    # 429, 500
    THROTTLED = "throttled"
    LOCKED_OUT = "locked_out"  # too many failed logins for this account or address (django-axes)
    SERVER_ERROR = "server_error"
    # 503: retry later
    SERVICE_UNAVAILABLE = "service_unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"
    COGNITO_UNAVAILABLE = "cognito_unavailable"
    CACHE_UNAVAILABLE = "cache_unavailable"  # login, while the cache holding its throttle is down

    # Codes the project gives single field errors. A problem with field errors has the code
    # `invalid` (its `errors` carry the messages); they are listed so that every code the
    # project sets is a member of this enum.
    UNKNOWN_FIELD = "unknown_field"
    REQUIRED = "required"
    UNIQUE = "unique"
    RANGE_TOO_LONG = "range_too_long"
    ZERO = "zero"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    REASON_REQUIRED = "reason_required"
    UNKNOWN_TRANSITION = "unknown_transition"
    BEFORE_START = "before_start"  # an hours version before the hire / start date
    # An import row's errors (GET imports/{id}/rows/)
    UNKNOWN_REFERENCE = "unknown_reference"  # a code that names nothing (in the user's scope)
    TOO_MANY_CELLS = "too_many_cells"
