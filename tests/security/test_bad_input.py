"""A bad-input corpus over every write endpoint and every list of the API (found in the URL conf).

Each hostile request must get a 4xx RFC 9457 problem document (application/problem+json with a
`code`) and write nothing, checked against a fingerprint of every table. Text that is merely
unusual (10k characters, RTL marks, SQL) may be refused the same way or stored exactly as sent;
it is never executed and never a 500. Every case runs against the same fresh world (a savepoint
rolled back after it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db import transaction
from django.test.client import MULTIPART_CONTENT
from rest_framework.test import APIClient

from apps.audit_log.models import AuditEntry
from apps.tags.models import TagCatalog
from tests.security.conftest import (
    Endpoint,
    Upload,
    World,
    api_endpoints,
    api_schema,
    assert_problem,
    changed_tables,
    database_fingerprint,
    endpoint_url,
    valid_payload,
    write_endpoints,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_cache")]

JSON = "application/json"
HOURS = ("weekly_hours", "contract_hours", "hours_per_week", "required_hours", "hours")
LEVELS = ("level", "min_level")
REFERENCES = ("employee", "position", "org_unit", "parent", "tag")
DATE_PAIRS = (
    ("start_date", "end_date"),
    ("hire_date", "termination_date"),
    ("valid_from", "valid_until"),
)
# Free-text fields a corpus string goes into (the first one a payload has).
TEXT = ("note", "reason", "name", "title", "label", "full_name", "first_name", "code")
SQL = "'; DROP TABLE org_employee; --"
RAW = "__raw_json_token__"


@dataclass(frozen=True)
class Bad:
    """One hostile request: its body as bytes, its content type, and the answer it must get."""

    name: str
    body: bytes
    content_type: str = JSON
    status: int | tuple[int, ...] = 400
    code: str | None = None
    may_store: str | None = None  # a text that may be stored verbatim instead of refused
    field: str | None = None  # the field the problem's `errors` must name


def _raw(payload: dict[str, Any], field: str, token: str) -> bytes:
    """`payload` as JSON with `field`'s value replaced by a raw JSON token (1e400...)."""
    return json.dumps({**payload, field: RAW}).replace(f'"{RAW}"', token).encode()


def _text_field(payload: dict[str, Any]) -> str | None:
    return next((name for name in TEXT if isinstance(payload.get(name), str)), None)


ICS = "text/calendar"


def ics_corpus() -> list[Bad]:
    """The hostile variants of an iCalendar upload (calendars/{id}/ics/)."""
    event = b"BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\n"
    big = settings.MAX_REQUEST_BYTES + 1
    return [
        Bad("not a content line", b"BEGIN:VCALENDAR\r\nnonsense\r\nEND:VCALENDAR\r\n", ICS),
        Bad("no VCALENDAR", b"BEGIN:VEVENT\r\nEND:VEVENT\r\n", ICS),
        Bad("never closed", b"BEGIN:VCALENDAR\r\n" + event, ICS),
        Bad("not UTF-8", b"BEGIN:VCALENDAR\r\nSUMMARY:F\xeate\r\nEND:VCALENDAR\r\n", ICS),
        Bad("empty", b"", ICS),
        Bad(
            "hours 25",
            b"BEGIN:VCALENDAR\r\n"
            + event
            + b"X-COVERIS-HOURS:25\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            ICS,
        ),
        Bad(
            "an unknown kind",
            b"BEGIN:VCALENDAR\r\n"
            + event
            + b"X-COVERIS-KIND:party\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            ICS,
        ),
        Bad(
            "a date that does not exist",
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260230\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            ICS,
        ),
        Bad("JSON", b'{"a": 1}', JSON, status=415),
        Bad("form data", b"a=1", "application/x-www-form-urlencoded", status=415),
        Bad("body over MAX_REQUEST_BYTES", b"BEGIN:VCALENDAR\r\n" + b"x" * big, ICS, status=413),
    ]


def upload_corpus() -> list[Bad]:
    """The hostile variants of an import's upload (imports/: a multipart form)."""

    def form(kind: str = "tags", content: bytes | None = None, **extra: str) -> Upload:
        fields: dict[str, Any] = {"kind": kind, **extra}
        if content is not None:
            fields["file"] = ("t.csv", content)
        return Upload.of(fields)

    good = b"code,label,category\nsec-bad,Bad,skill\n"
    return [
        Bad("no file", form(), MULTIPART_CONTENT, field="file"),
        Bad("an unknown kind", form("payroll", good), MULTIPART_CONTENT, field="kind"),
        Bad("an unknown field", form(content=good, mode="partial"), MULTIPART_CONTENT),
        Bad(
            "not UTF-8",
            form(content="code,label,category\nx,Fête,skill\n".encode("latin-1")),
            MULTIPART_CONTENT,
            code="invalid_encoding",
        ),
        Bad(
            "unknown columns",
            form(content=b"code,nickname\nx,y\n"),
            MULTIPART_CONTENT,
            code="unknown_columns",
        ),
        Bad(
            "a header alone",
            form(content=b"code,label,category\n"),
            MULTIPART_CONTENT,
            code="empty_file",
        ),
        Bad("an empty file", form(content=b""), MULTIPART_CONTENT, code="empty_file"),
        Bad(
            "a damaged workbook",
            form(content=b"PK\x03\x04 nothing"),
            MULTIPART_CONTENT,
            code="malformed_file",
        ),
        Bad("JSON", b'{"kind": "tags"}', JSON, status=415),
        Bad("form data", b"kind=tags", "application/x-www-form-urlencoded", status=415),
    ]


def corpus(payload: Any) -> list[Bad]:
    """The hostile variants of one valid request body (None: the request takes no body)."""
    base: dict[str, Any] = payload if isinstance(payload, dict) else {}
    valid = json.dumps(base).encode()
    big = settings.MAX_REQUEST_BYTES + 1
    cases = [
        Bad("malformed JSON", b'{"unterminated": ', code="parse_error"),
        Bad("not UTF-8", b'{"a": "\xff\xfe"}', code="parse_error"),
        Bad("a JSON list, not an object", b"[1, 2, 3]"),
        Bad("JSON as text/plain", valid, "text/plain", status=415),
        Bad("form data", b"a=1&b=2", "application/x-www-form-urlencoded", status=415),
        Bad(
            "multipart",
            b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
            "multipart/form-data; boundary=x",
            status=415,
        ),
        Bad("body over MAX_REQUEST_BYTES", b'{"a": "' + b"x" * big + b'"}', status=413),
        Bad("duplicate keys", b'{"a": 1, "a": 2}', code="duplicate_key"),
        Bad("unknown field", json.dumps({**base, "is_superuser": True}).encode()),
        Bad("NUL in a key", json.dumps({**base, "x\u0000": 1}).encode()),
    ]
    if base:
        first = next(iter(base))
        repeated = json.dumps(base)[:-1] + f", {json.dumps(first)}: {json.dumps(base[first])}}}"
        cases.append(Bad(f"duplicate {first!r}", repeated.encode(), code="duplicate_key"))
    for field in HOURS:
        if field in base:
            cases += [
                Bad(f"{field} 1e400", _raw(base, field, "1e400"), code="parse_error"),
                Bad(f"{field} 10**30", _raw(base, field, str(10**30))),
                Bad(f"{field} 'NaN'", _raw(base, field, '"NaN"')),
                Bad(f"{field} 'Infinity'", _raw(base, field, '"Infinity"')),
                Bad(f"{field} '-Infinity'", _raw(base, field, '"-Infinity"')),
                Bad(f"{field} NaN literal", _raw(base, field, "NaN"), code="parse_error"),
                Bad(f"{field} too many decimals", _raw(base, field, '"1.001"')),
                Bad(f"{field} a string", _raw(base, field, '"eight"')),
            ]
            if field != "hours_per_week":  # ledger entries are signed: -8 is a leave
                cases.append(Bad(f"{field} -1", _raw(base, field, '"-1"')))
            else:
                cases.append(Bad(f"{field} -169", _raw(base, field, '"-169"')))
    for field in LEVELS:
        if field in base:
            cases += [
                Bad(f"{field} -1", _raw(base, field, "-1")),
                Bad(f"{field} 10**30", _raw(base, field, str(10**30))),
                Bad(f"{field} 2.5", _raw(base, field, "2.5")),
            ]
    for field in REFERENCES:
        if field in base:
            cases += [
                Bad(f"{field} 10**30", _raw(base, field, str(10**30))),
                Bad(f"{field} -1", _raw(base, field, "-1")),
                Bad(f"{field} a string", _raw(base, field, '"one"')),
                Bad(f"{field} an object", _raw(base, field, '{"id": 1}')),
            ]
    for start, end in DATE_PAIRS:
        if start in base:
            cases += [
                Bad(
                    f"{end} before {start}",
                    json.dumps({**base, start: "2026-06-10", end: "2026-06-09"}).encode(),
                    field=end,
                ),
                Bad(f"{start} 2026-02-30", json.dumps({**base, start: "2026-02-30"}).encode()),
                Bad(f"{start} year 0", json.dumps({**base, start: "0000-01-01"}).encode()),
            ]
    text = _text_field(base)
    if text is not None:
        cases += [
            Bad(f"NUL in {text}", json.dumps({**base, text: "a\u0000b"}).encode()),
            Bad(f"lone surrogate in {text}", _raw(base, text, '"a\\ud800b"'), code="parse_error"),
        ]
        for name, value in (
            ("10k characters", "é" * 10_000),
            ("RTL marks", "\u202eevil\u202c \u200fمرحبا\u200e"),
            ("SQL", SQL),
            ("zero-width and combining", "e\u0301\u200b\ufeff"),
        ):
            cases.append(
                Bad(
                    f"{name} in {text}",
                    json.dumps({**base, text: value}).encode(),
                    status=(400, 409),
                    may_store=value,
                    field=text,
                )
            )
    return cases


def _send(client: APIClient, method: str, url: str, bad: Bad) -> Any:
    return client.generic(method, url, data=bad.body, content_type=bad.content_type)


def _stored(response: Any, bad: Bad) -> bool:
    """The accepted text is what the API returns for the field, character for character (or,
    for a transition's or a removal's `reason`, what its log row keeps)."""
    body = response.json() if response.content else None
    if isinstance(body, dict) and bad.field in body:
        return body[bad.field] == bad.may_store
    if bad.field == "reason":
        newest = AuditEntry.objects.order_by("-at").first()
        return newest is not None and newest.reason == bad.may_store
    return False


def _check(world: World, endpoint: Endpoint, method: str, bad: Bad) -> str | None:
    got = f"{method} {endpoint.route} with {bad.name}"
    with transaction.atomic():
        client = world.client("admin")
        url = endpoint_url(world, endpoint)
        before = database_fingerprint()
        response = _send(client, method, url, bad)
        changed = changed_tables(before, database_fingerprint())
        got += f": {response.status_code}"
        accepted = bad.may_store is not None and response.status_code < 300
        stored = accepted and response.status_code >= 200 and _stored(response, bad)
        transaction.set_rollback(True)
    if accepted:
        return None if stored else f"{got}, accepted but not stored as sent"
    statuses = bad.status if isinstance(bad.status, tuple) else (bad.status,)
    if response.status_code not in statuses:
        return f"{got}, expected {statuses}: {response.content[:300]!r}"
    try:
        document = assert_problem(response)
    except AssertionError as exc:
        return f"{got}, not a problem document: {exc}"
    if bad.code is not None and document["code"] != bad.code:
        return f"{got}, code {document['code']!r}, expected {bad.code!r}"
    if bad.field is not None and bad.field not in document.get("errors", {}):
        return f"{got}, errors do not name {bad.field!r}: {document}"
    if changed:
        return f"{got}, and it wrote to {changed}"
    return None


WRITES = [pytest.param(e, m, id=f"{m} {e.route}") for e, m in write_endpoints()]


@pytest.mark.parametrize(("endpoint", "method"), WRITES)
def test_hostile_bodies_are_refused_and_write_nothing(endpoint, method, world):
    if endpoint.route.endswith("/ics/"):
        cases = ics_corpus()
    elif endpoint.route == "imports/":
        cases = upload_corpus()
    else:
        cases = corpus(valid_payload(world, endpoint.route, method))
    problems = [p for bad in cases if (p := _check(world, endpoint, method, bad)) is not None]
    assert not problems, "\n".join(problems)


def test_sql_is_stored_verbatim_never_executed(world):
    client = world.client("admin")
    employee = world.employee
    response = client.patch(f"/api/v1/employees/{employee.pk}/", {"last_name": SQL})
    assert response.status_code == 200, response.content
    assert response.json()["last_name"] == SQL
    employee.refresh_from_db()
    assert employee.last_name == SQL
    found = client.get("/api/v1/employees/", {"search": "DROP TABLE"}).json()
    assert [row["id"] for row in found["results"]] == [employee.pk]


# --- query parameters on every GET endpoint ------------------------------------------------------

READS = [pytest.param(e, id=e.route) for e in api_endpoints() if "GET" in e.methods]


def _wrong_values(parameter: dict[str, Any]) -> list[str]:
    """Values of the wrong type for a documented query parameter."""
    schema = parameter.get("schema", {})
    kind, fmt = schema.get("type"), schema.get("format")
    if schema.get("enum") or (schema.get("items") or {}).get("enum"):
        return ["not-a-choice", "\u0000"]
    if kind == "integer":
        return ["abc", "1.5", "1e400", "-"]
    if kind == "number":
        return ["abc", "NaN"]
    if kind == "boolean":
        return ["maybe", "2"]
    if fmt in ("date", "date-time"):
        return ["2026-13-45", "yesterday"]
    return []


def _query_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    path = "/api/v1/" + endpoint.route.replace("{pk}", "{id}")
    operation = api_schema()["paths"].get(path, {}).get("get", {})
    return [p for p in operation.get("parameters", []) if p.get("in") == "query"]


@pytest.mark.parametrize("endpoint", READS)
def test_query_parameters_of_the_wrong_type_are_400(endpoint, world):
    client = world.client("admin")
    url = endpoint_url(world, endpoint)
    before = database_fingerprint()
    problems = []
    for parameter in _query_parameters(endpoint):
        name = parameter["name"]
        # A page that does not exist is a 404 (DRF's "Invalid page"), like a deep one.
        expected = (400, 404) if name in ("page", "cursor") else (400,)
        for value in _wrong_values(parameter):
            response = client.get(url, {name: value})
            if response.status_code not in expected:
                problems.append(
                    f"?{name}={value!r}: {response.status_code} {response.content[:200]!r}"
                )
                continue
            assert_problem(response)
        # PostgreSQL cannot hold a NUL in text: refused before any query, whatever the type.
        response = client.get(url, {name: "a\u0000b"})
        if response.status_code not in expected:
            problems.append(f"?{name}=<NUL>: {response.status_code}")
        else:
            assert_problem(response)
        # Merely unusual text is a search term like any other (or refused), never a 500.
        for value in (SQL, "é" * 10_000, "\u202eevil\u200f"):
            response = client.get(url, {name: value})
            if response.status_code >= 500:
                problems.append(f"?{name}={value[:20]!r}: {response.status_code}")
            elif response.status_code >= 400:
                assert_problem(response)
    assert not problems, "\n".join(problems)
    assert changed_tables(before, database_fingerprint()) == []


PAGED = [
    pytest.param(e, id=e.route)
    for e in api_endpoints()
    if "GET" in e.methods and any(p["name"] == "page" for p in _query_parameters(e))
]


@pytest.mark.parametrize("endpoint", PAGED)
def test_page_size_is_clamped_and_deep_pages_are_404(endpoint, world):
    client = world.client("admin")
    url = endpoint_url(world, endpoint)
    response = client.get(url, {"page_size": 10**9})
    assert response.status_code == 200, response.content
    assert len(response.json()["results"]) <= 100
    document = assert_problem(client.get(url, {"page": 10**9}), 404)
    assert document["code"] == "not_found"
    assert_problem(client.get(url, {"page": 10**30}), 404)


def test_page_size_over_100_returns_100_rows(world):
    TagCatalog.objects.bulk_create(
        TagCatalog(code=f"bulk-{n}", label=f"Bulk {n}", category="skill") for n in range(120)
    )
    client = world.client("admin")
    body = client.get("/api/v1/tags/", {"page_size": 10**9}).json()
    assert len(body["results"]) == 100
    assert body["count"] == TagCatalog.objects.count()
    assert body["next"] is not None


def test_cursor_list_refuses_a_forged_cursor(world):
    client = world.client("admin")
    # "garbage", p=10**23 (a position that is no timestamp), o=abc, p=<impossible date>
    forged = (
        "garbage",
        "cD0xMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA=",
        "bz1hYmM=",
        "cD0yMDI2LTEzLTQ1VDk5OjAwOjAw",
    )
    for cursor in forged:
        assert_problem(client.get("/api/v1/audit-log/", {"cursor": cursor}), 404)
    body = client.get("/api/v1/audit-log/", {"page_size": 10**9}).json()
    assert len(body["results"]) <= 100
