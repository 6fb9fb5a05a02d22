"""Shared pieces of the security suites: a small organisation with one user per role, clients,
a whole-database fingerprint ("nothing was written"), URL-conf discovery of the API endpoints,
and settings that keep long matrices fast (local-memory cache, throttles out of the way).

Fixtures here are opt-in (none is autouse), so suites in this folder that test throttling or
caching themselves see the project's own settings.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import json
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle
from rest_framework_simplejwt.tokens import RefreshToken

from apps.assignments.models import Assignment
from apps.business_rules.models import BusinessRule
from apps.calendars.models import CalendarDay, WorkCalendar
from apps.demand.models import CoverageRequirement
from apps.events import services as webhook_services
from apps.events.models import Attempt, Delivery, DeliveryState, Event, Webhook
from apps.fsm.services import transition_apply
from apps.imports import engine as import_engine
from apps.imports import services as import_services
from apps.imports.models import Import
from apps.leave import services as leave_services
from apps.leave.models import LeaveEntitlement, LeaveRequest
from apps.offer.models import LedgerEntry
from apps.offer.services import ledger_entry_create
from apps.org.models import Employee, OrgUnit, Position
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog, TagChangeLog
from apps.users.models import Role, User
from tests.conftest import shared_rows
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag, need_tag
from tests.factories.users import PASSWORD, UserFactory

API_PREFIX = "/api/v1/"
PROBLEM_CONTENT_TYPE = "application/problem+json"
MONDAY = dt.date(2026, 3, 2)  # ISO week 2026-W10


def _leave_monday() -> dt.date:
    """The Monday of the World's leave: the first of March of next year, or the Monday before
    it (still in February). Leave is asked for ahead of today, and starts and ends in one year
    (balances are per year); this week holds no assignment and no requirement."""
    first = dt.date(timezone.localdate().year + 1, 3, 1)
    return first - dt.timedelta(days=first.weekday())


LEAVE_MONDAY = _leave_monday()
LEAVE_YEAR = LEAVE_MONDAY.year
ROLES = (
    "anonymous",
    "admin",
    "manager_in",
    "manager_out",
    "auditor",
    "employee_self",
    "employee_other",
)


# --- settings ------------------------------------------------------------------------------------


@pytest.fixture
def fast_cache(settings, monkeypatch):
    """Local-memory cache (the database cache adds a query per throttle check) and throttle
    rates no matrix reaches. DRF's throttle classes copied DEFAULT_THROTTLE_RATES when they were
    defined, so reloading api_settings would not reach them: patch the class attribute."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "coveris-security-tests",
        }
    }
    from django.core.cache import cache

    cache.clear()
    rates = dict.fromkeys(SimpleRateThrottle.THROTTLE_RATES, "100000/hour")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    yield
    cache.clear()


# --- the world -----------------------------------------------------------------------------------


@dataclass
class World:
    """One organisation. Every target object belongs to `unit_in` (in `manager_in`'s scope,
    outside `manager_out`'s); the target employee is `employee_self`'s own record."""

    users: dict[str, User]
    root_in: OrgUnit
    unit_in: OrgUnit
    unit_out: OrgUnit
    position: Position
    position_out: Position
    employee: Employee
    employee_other: Employee
    assignment: Assignment
    ledger_entry: LedgerEntry
    requirement: CoverageRequirement
    tag: TagCatalog
    spare_tag: TagCatalog
    employee_tag: EmployeeTag
    position_tag: PositionTag
    rule: BusinessRule
    spare_user: User
    calendar: WorkCalendar
    calendar_day: CalendarDay
    upload: Import  # a validated import of one tag, by the admin
    webhook: Webhook  # every event, to a closed port of 127.0.0.1 (a test ping fails at once)
    delivery: Delivery  # the webhook's delivery of one of the World's events, dead
    leave_request: LeaveRequest  # the target employee's, requested, a week of next year
    leave_entitlement: LeaveEntitlement  # the target employee's vacation hours of that year
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def tag_change(self) -> TagChangeLog:
        """The log row of the target employee's tag."""
        rows = TagChangeLog.objects.filter(subject_type="employee", subject_id=self.employee.pk)
        return rows.order_by("-id")[0]

    def client(self, role: str) -> APIClient:
        """A bearer-authenticated client for `role` (no credentials for anonymous)."""
        client = APIClient()
        if role != "anonymous":
            token = self.tokens.get(role)
            if token is None:
                token = str(RefreshToken.for_user(self.users[role]).access_token)
                self.tokens[role] = token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client


def _active(employee: Employee, actor: User) -> Employee:
    for name in ("start_onboarding", "activate"):
        employee, _ = transition_apply(subject=employee, transition=name, actor=actor)
    return employee


def build_world() -> World:
    """Seed the organisation (a few dozen rows) through the services, so logs and chains exist."""
    users = {
        "admin": UserFactory(role=Role.ADMIN, email="sec-admin@example.test"),
        "manager_in": UserFactory(role=Role.MANAGER, email="sec-manager-in@example.test"),
        "manager_out": UserFactory(role=Role.MANAGER, email="sec-manager-out@example.test"),
        "auditor": UserFactory(role=Role.AUDITOR, email="sec-auditor@example.test"),
        "employee_self": UserFactory(role=Role.EMPLOYEE, email="sec-self@example.test"),
        "employee_other": UserFactory(role=Role.EMPLOYEE, email="sec-other@example.test"),
    }
    admin = users["admin"]
    root_in = make_unit("SEC-IN")
    unit_in = make_unit("SEC-IN-1", parent=root_in)
    unit_out = make_unit("SEC-OUT")
    users["manager_in"].scope.add(root_in)
    users["manager_out"].scope.add(unit_out)
    position = make_position(unit_in, code="SEC-POS", weekly_hours=Decimal("40.00"))
    position_out = make_position(unit_out, code="SEC-POS-OUT")
    hired = dt.date(2025, 1, 6)
    employee = _active(
        make_employee(
            unit_in, employee_number="SEC-E1", user=users["employee_self"], hire_date=hired
        ),
        admin,
    )
    employee_other = _active(
        make_employee(
            unit_out, employee_number="SEC-E2", user=users["employee_other"], hire_date=hired
        ),
        admin,
    )
    assignment = Assignment.objects.create(
        employee=employee,
        position=position,
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(weeks=8),
        weekly_hours=Decimal("10.00"),
    )
    ledger_entry = ledger_entry_create(
        employee=employee,
        kind="extra_availability",
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=27),
        hours_per_week=Decimal("4.00"),
        note="seed",
        actor=admin,
    )
    requirement = CoverageRequirement.objects.create(
        position=position,
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=13),
        required_hours=Decimal("30.00"),
    )
    tag = make_tag("sec-skill")
    spare_tag = make_tag("sec-spare")
    employee_tag = give_tag(employee, tag, level=3, actor=admin)
    position_tag = need_tag(position, tag, min_level=2, requirement="preferred", actor=admin)
    rule = BusinessRule.objects.create(
        code="sec-max",
        name="Security matrix rule",
        kind="max_weekly_hours",
        params={"max_hours": "60.00"},
        severity="warning",
        transitions=["approve"],
    )
    spare_user = UserFactory(role=Role.EMPLOYEE, email="sec-spare@example.test")
    calendar = WorkCalendar.objects.create(code="sec-office", name="Security office")
    calendar_day = CalendarDay.objects.create(
        calendar=calendar, date=MONDAY + dt.timedelta(days=2), hours=Decimal("0"), name="Seed"
    )
    upload = import_services.import_create(
        kind="tags", filename="tags.csv", content=IMPORTED_TAGS, user=admin
    )
    upload = import_engine.validate(upload)
    leave_entitlement = leave_services.entitlement_create(
        actor=admin, employee=employee, year=LEAVE_YEAR, kind="vacation", hours=Decimal("80.00")
    )
    leave_request = leave_services.leave_request_create(
        actor=users["employee_self"],
        employee=employee,
        start_date=LEAVE_MONDAY,
        end_date=LEAVE_MONDAY + dt.timedelta(days=4),
        note="seed",
    )
    webhook, delivery = _webhook_with_a_dead_delivery(admin)
    return World(
        leave_request=leave_request,
        leave_entitlement=leave_entitlement,
        webhook=webhook,
        delivery=delivery,
        upload=upload,
        calendar=calendar,
        calendar_day=calendar_day,
        users=users,
        root_in=root_in,
        unit_in=unit_in,
        unit_out=unit_out,
        position=position,
        position_out=position_out,
        employee=employee,
        employee_other=employee_other,
        assignment=assignment,
        ledger_entry=ledger_entry,
        requirement=requirement,
        tag=tag,
        spare_tag=spare_tag,
        employee_tag=employee_tag,
        position_tag=position_tag,
        rule=rule,
        spare_user=spare_user,
    )


# Port 9 (discard) of the loopback: nothing listens, so a POST there is refused at once.
# WEBHOOK_ALLOW_PRIVATE is on in the test settings, as in development.
WEBHOOK_URL = "http://127.0.0.1:9/hook"


def _webhook_with_a_dead_delivery(admin: User) -> tuple[Webhook, Delivery]:
    """A subscription to every event and its delivery of the newest of the World's events,
    given up after one refused attempt (what retry/ and replay/ deliver again)."""
    webhook, _secret = webhook_services.webhook_create(
        url=WEBHOOK_URL, description="Security matrix", actor=admin
    )
    event = Event.objects.order_by("-id")[0]
    now = timezone.now()
    delivery = Delivery.objects.create(
        webhook=webhook,
        event=event,
        subject=event.subject,
        shard=0,
        state=DeliveryState.DEAD,
        attempts=1,
        next_attempt_at=now,
        first_attempt_at=now,
        last_attempt_at=now,
        last_error="connection refused",
    )
    Attempt.objects.create(delivery=delivery, at=now, duration_ms=1, error="connection refused")
    return webhook, delivery


def world_in_a_transaction(
    django_db_blocker: Any, before: Callable[[], object] | None = None
) -> AbstractContextManager[World]:
    """A World built once and rolled back when the block ends (tests/conftest.py's
    `shared_rows`: each test meanwhile in a savepoint of its transaction); `before` runs first,
    in the same transaction."""

    def build() -> World:
        if before is not None:
            before()
        return build_world()

    return shared_rows(django_db_blocker, build)


@pytest.fixture(scope="module")
def _module_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The World of one test module, built once (about 0.1 s saved per test of the sweeps)."""
    with world_in_a_transaction(django_db_blocker) as built:
        yield built


def fresh_copy(built: World) -> World:
    """The test's own copy of the shared world's objects (its rows are rolled back after each
    test, its in-memory instances are copied so that no test sees another's refresh_from_db;
    tokens are made per test, so none outlives its lifetime in a long run)."""
    copied = copy.deepcopy(built)
    copied.tokens = {}
    return copied


@pytest.fixture
def world(request, db, fast_cache, _module_world) -> World:
    marker = request.node.get_closest_marker("django_db")
    assert not (marker and marker.kwargs.get("transaction")), (
        "the shared World lives in an open transaction: a transaction=True test builds its own "
        "(build_world())"
    )
    return fresh_copy(_module_world)


# --- "nothing was written" -----------------------------------------------------------------------


def _tables() -> list[str]:
    """Every table behind a model (auto-created through tables included), each once."""
    names = {
        m._meta.db_table
        for m in apps.get_models(include_auto_created=True)
        if m._meta.managed and not m._meta.proxy
    }
    return sorted(names)


def database_fingerprint() -> dict[str, tuple[int, int]]:
    """Row count and a checksum of every row of every model's table, in one query: a refused
    request must leave all of it as it was (counts catch inserts and deletes, the sum of the
    rows' 64-bit hashes catches updates)."""
    tables = _tables()
    parts = [
        f'SELECT %s, count(*), coalesce(sum(hashtextextended(t::text, 0)), 0) FROM "{name}" t'
        for name in tables
    ]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), tables)
        return {name: (count, digest) for name, count, digest in cursor.fetchall()}


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )


def assert_problem(response: Any, status: int | None = None) -> dict[str, Any]:
    """An RFC 9457 problem document (with a stable `code`), optionally with `status`."""
    body = response.content.decode(errors="replace")
    if status is not None:
        assert response.status_code == status, f"{response.status_code}: {body[:500]}"
    assert 400 <= response.status_code < 500, f"{response.status_code}: {body[:500]}"
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE), response["Content-Type"]
    document = response.json()
    assert document["status"] == response.status_code, document
    assert isinstance(document.get("code"), str), document
    assert document["code"], document
    return document


# --- the API's endpoints, from the URL conf ------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One URL pattern of the API and the HTTP methods its view answers."""

    route: str  # "org-units/{pk}/transitions/" (relative to /api/v1/)
    methods: tuple[str, ...]
    view: Any
    actions: dict[str, str] | None  # viewsets: method -> action

    @property
    def has_pk(self) -> bool:
        return "{pk}" in self.route

    @property
    def basename(self) -> str:
        return self.route.split("/", 1)[0]

    def url(self, pk: Any = None) -> str:
        # A route's other parameters: the import kind and file format of templates/exports.
        route = self.route.replace("{kind}", "tags").replace("{fmt}", "csv")
        return API_PREFIX + route.replace("{pk}", str(pk))


_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")  # a regex route's named group: (?P<pk>[^/.]+)
_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")  # a path() route's converter: <int:pk>
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _route_of(prefix: str, pattern: URLPattern | URLResolver) -> str:
    text = str(pattern.pattern)
    text = text.removeprefix("^").removesuffix("$").replace("\\.", ".")
    text = _GROUP.sub(lambda m: "{" + m.group(1) + "}", text)
    text = _CONVERTER.sub(lambda m: "{" + m.group(1) + "}", text)
    return prefix + text


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, _route_of(prefix, pattern))
        else:
            yield _route_of(prefix, pattern), pattern


def _methods(callback: Any) -> tuple[str, ...]:
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    allowed = {m.upper() for m in getattr(cls, "http_method_names", ())}
    actions = getattr(callback, "actions", None)
    if actions is not None:
        offered = {m.upper() for m in actions}
    elif cls is not None:
        offered = {m.upper() for m in HTTP_METHODS if hasattr(cls, m.lower())}
    else:  # a plain Django function view may answer any method: each needs a decision
        offered = allowed = set(HTTP_METHODS)
    return tuple(m for m in HTTP_METHODS if m in offered & allowed)


def api_endpoints() -> list[Endpoint]:
    """Every URL pattern under /api/v1/ with the methods it answers. The router's format-suffix
    twins (`org-units.{format}/`) are the same views as their plain routes, and are folded in."""
    found: dict[str, Endpoint] = {}
    for route, pattern in _walk(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX.lstrip("/")):
            continue
        relative = route.removeprefix(API_PREFIX.lstrip("/"))
        if ".{format}" in relative:
            continue
        relative = relative.replace("/?", "/")
        callback = pattern.callback
        endpoint = Endpoint(
            route=relative,
            methods=_methods(callback),
            view=getattr(callback, "cls", None) or getattr(callback, "view_class", callback),
            actions=getattr(callback, "actions", None),
        )
        found.setdefault(relative, endpoint)
    return sorted(found.values(), key=lambda e: e.route)


@functools.cache
def api_schema() -> dict[str, Any]:
    """The OpenAPI document exactly as GET /api/v1/schema/?format=json renders it."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer2

    raw = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer2().render(raw, renderer_context={}))


def endpoint_url(world: World, endpoint: Endpoint) -> str:
    """The URL of `endpoint` about the World's target object (and, in a webhook's delivery
    route, about the webhook's delivery)."""
    url = endpoint.url(target_pk(world, endpoint)) if endpoint.has_pk else endpoint.url()
    return url.replace("{delivery_id}", str(world.delivery.pk))


def write_endpoints() -> list[tuple[Endpoint, str]]:
    """(endpoint, method) for every unsafe method the API answers."""
    return [(e, m) for e in api_endpoints() for m in e.methods if m != "GET"]


def target_pk(world: World, endpoint: Endpoint) -> Any:
    """The seeded object a detail route of `endpoint` is about (the target of a list)."""
    targets = {
        "users": world.spare_user.pk,
        "org-units": world.unit_in.pk,
        "positions": world.position.pk,
        "employees": world.employee.pk,
        "assignments": world.assignment.pk,
        "business-rules": world.rule.pk,
        "coverage-requirements": world.requirement.pk,
        "hours-ledger": world.ledger_entry.pk,
        "tags": world.tag.pk,
        "employee-tags": world.employee_tag.pk,
        "position-tags": world.position_tag.pk,
        "tag-changes": world.tag_change.pk,
        "calendars": world.calendar.pk,
        "calendar-days": world.calendar_day.pk,
        "imports": world.upload.pk,
        "webhooks": world.webhook.pk,
        "leave-requests": world.leave_request.pk,
        "leave-entitlements": world.leave_entitlement.pk,
    }
    assert endpoint.basename in targets, f"seed a target for {endpoint.route} in the World"
    return targets[endpoint.basename]


IMPORTED_TAGS = b"code,label,category\nsec-imported,Imported,skill\n"


class Upload(bytes):
    """A multipart/form-data body (an import's file): bytes that know their content type, so
    the sweeps send it as a browser form would."""

    content_type = MULTIPART_CONTENT

    @classmethod
    def of(cls, fields: dict[str, Any]) -> Upload:
        files = {
            name: SimpleUploadedFile(value[0], value[1]) if isinstance(value, tuple) else value
            for name, value in fields.items()
        }
        return cls(encode_multipart(BOUNDARY, files))


def content_type_of(body: bytes) -> str:
    """The content type a raw body is sent with: an upload's, else an iCalendar file's."""
    return getattr(body, "content_type", "text/calendar")


def _iso(day: dt.date) -> str:
    return day.isoformat()


def valid_payload(world: World, route: str, method: str) -> Any:
    """A request body with which an allowed role's request succeeds (None: the request takes
    no body)."""
    w = world
    employee, position = w.employee, w.position
    bodies: dict[tuple[str, str], Callable[[], Any]] = {
        ("auth/login/", "POST"): lambda: {"email": w.spare_user.email, "password": PASSWORD},
        ("auth/token/", "POST"): lambda: {"email": w.spare_user.email, "password": PASSWORD},
        ("auth/token/refresh/", "POST"): lambda: {
            "refresh": str(RefreshToken.for_user(w.spare_user))
        },
        ("users/", "POST"): lambda: {
            "email": "sec-new@example.test",
            "full_name": "New Account",
            "password": "a-long-Unusual-passphrase-42",
            "role": "employee",
        },
        ("users/{pk}/", "PUT"): lambda: {
            "email": w.spare_user.email,
            "full_name": "Renamed",
            "role": "employee",
            "is_active": True,
        },
        ("users/{pk}/", "PATCH"): lambda: {"full_name": "Renamed"},
        ("org-units/", "POST"): lambda: {"code": "SEC-NEW", "name": "New", "parent": w.root_in.pk},
        ("org-units/{pk}/", "PUT"): lambda: {
            "code": w.unit_in.code,
            "name": "Renamed",
            "parent": w.root_in.pk,
            "active": True,
        },
        ("org-units/{pk}/", "PATCH"): lambda: {"name": "Renamed"},
        ("positions/", "POST"): lambda: {
            "code": "SEC-POS-NEW",
            "title": "New",
            "org_unit": w.unit_in.pk,
            "weekly_hours": "20.00",
            "start_date": "2026-02-02",
        },
        ("positions/{pk}/", "PUT"): lambda: {
            "code": position.code,
            "title": "Renamed",
            "org_unit": w.unit_in.pk,
            "weekly_hours": "40.00",
            "start_date": _iso(position.start_date),
            "end_date": None,
            "active": True,
        },
        ("positions/{pk}/", "PATCH"): lambda: {"title": "Renamed"},
        ("employees/", "POST"): lambda: {
            "employee_number": "SEC-NEW",
            "first_name": "Nia",
            "last_name": "New",
            "email": "nia@example.test",
            "org_unit": w.unit_in.pk,
            "contract_hours": "30.00",
            "hire_date": "2026-02-02",
        },
        ("employees/{pk}/", "PUT"): lambda: {
            "employee_number": employee.employee_number,
            "first_name": "Renamed",
            "last_name": employee.last_name,
            "email": employee.email,
            "org_unit": w.unit_in.pk,
            "contract_hours": "40.00",
            "hire_date": _iso(employee.hire_date),
            "termination_date": None,
            "user": employee.user_id,
        },
        ("employees/{pk}/", "PATCH"): lambda: {"first_name": "Renamed"},
        ("employees/{pk}/transitions/", "POST"): lambda: {
            "transition": "start_leave",
            "reason": "matrix",
        },
        ("assignments/", "POST"): lambda: {
            "employee": employee.pk,
            "position": position.pk,
            "start_date": "2026-06-01",
            "end_date": "2026-06-28",
            "weekly_hours": "5.00",
        },
        ("assignments/simulate/", "POST"): lambda: {
            "employee": employee.pk,
            "position": position.pk,
            "start_date": "2026-06-01",
            "end_date": "2026-06-28",
            "weekly_hours": "5.00",
        },
        ("assignments/{pk}/", "PUT"): lambda: {
            "employee": employee.pk,
            "position": position.pk,
            "start_date": _iso(w.assignment.start_date),
            "end_date": _iso(w.assignment.end_date),
            "weekly_hours": "12.00",
        },
        ("assignments/{pk}/", "PATCH"): lambda: {"weekly_hours": "12.00"},
        ("assignments/{pk}/transitions/", "POST"): lambda: {
            "transition": "approve",
            "reason": "matrix",
        },
        ("business-rules/", "POST"): lambda: {
            "code": "sec-new",
            "name": "New rule",
            "kind": "max_weekly_hours",
            "params": {"max_hours": "50.00"},
            "severity": "warning",
            "enabled": True,
            "transitions": ["approve"],
        },
        ("business-rules/{pk}/", "PUT"): lambda: {
            "code": w.rule.code,
            "name": "Renamed",
            "kind": "max_weekly_hours",
            "params": {"max_hours": "55.00"},
            "severity": "warning",
            "enabled": True,
            "scope": None,
            "transitions": ["approve"],
        },
        ("business-rules/{pk}/", "PATCH"): lambda: {"name": "Renamed"},
        ("coverage-requirements/", "POST"): lambda: {
            "position": position.pk,
            "start_date": "2026-05-04",
            "end_date": "2026-05-17",
            "required_hours": "20.00",
        },
        ("coverage-requirements/{pk}/", "PUT"): lambda: {
            "position": position.pk,
            "start_date": _iso(w.requirement.start_date),
            "end_date": _iso(w.requirement.end_date),
            "required_hours": "25.00",
        },
        ("coverage-requirements/{pk}/", "PATCH"): lambda: {"required_hours": "25.00"},
        ("hours-ledger/", "POST"): lambda: {
            "employee": employee.pk,
            "kind": "leave",
            "start_date": "2026-04-06",
            "end_date": "2026-04-12",
            "hours_per_week": "-8.00",
            "note": "matrix",
        },
        ("hours-ledger/{pk}/reverse/", "POST"): lambda: {"note": "matrix"},
        ("employees/{pk}/contract-hours/", "POST"): lambda: {
            "valid_from": "2026-04-06",
            "hours": "30.00",
            "note": "matrix",
        },
        ("positions/{pk}/weekly-hours/", "POST"): lambda: {
            "valid_from": "2026-04-06",
            "hours": "30.00",
            "note": "matrix",
        },
        ("tags/", "POST"): lambda: {"code": "sec-new", "label": "New", "category": "skill"},
        ("tags/{pk}/", "PUT"): lambda: {
            "code": w.tag.code,
            "label": "Renamed",
            "category": "skill",
            "description": "",
            "active": True,
        },
        ("tags/{pk}/", "PATCH"): lambda: {"label": "Renamed"},
        ("employee-tags/", "POST"): lambda: {
            "employee": employee.pk,
            "tag": w.spare_tag.pk,
            "level": 2,
            "valid_from": "2026-01-01",
        },
        ("employee-tags/{pk}/", "PUT"): lambda: {
            "employee": employee.pk,
            "tag": w.tag.pk,
            "level": 4,
            "valid_from": _iso(w.employee_tag.valid_from),
            "valid_until": None,
        },
        ("employee-tags/{pk}/", "PATCH"): lambda: {"level": 4},
        ("position-tags/", "POST"): lambda: {
            "position": position.pk,
            "tag": w.spare_tag.pk,
            "requirement": "preferred",
            "min_level": 1,
        },
        ("position-tags/{pk}/", "PUT"): lambda: {
            "position": position.pk,
            "tag": w.tag.pk,
            "requirement": "preferred",
            "min_level": 3,
        },
        ("position-tags/{pk}/", "PATCH"): lambda: {"min_level": 3},
        ("calendars/", "POST"): lambda: {"code": "sec-new", "name": "New"},
        ("calendars/{pk}/", "PUT"): lambda: {
            "code": w.calendar.code,
            "name": "Renamed",
            "week_hours": ["8", "8", "8", "8", "4", "0", "0"],
        },
        ("calendars/{pk}/", "PATCH"): lambda: {"name": "Renamed"},
        ("calendars/{pk}/holidays/", "POST"): lambda: {
            "country": "FR",
            "from_year": 2026,
            "to_year": 2026,
        },
        ("calendars/{pk}/ics/", "POST"): lambda: (
            b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matrix//EN\r\nBEGIN:VEVENT\r\n"
            b"UID:m\r\nDTSTART;VALUE=DATE:20260814\r\nSUMMARY:Closure\r\nEND:VEVENT\r\n"
            b"END:VCALENDAR\r\n"
        ),
        ("calendar-days/", "POST"): lambda: {
            "calendar": w.calendar.pk,
            "date": "2026-08-14",
            "kind": "closure",
        },
        ("calendar-days/{pk}/", "PUT"): lambda: {
            "calendar": w.calendar.pk,
            "date": _iso(w.calendar_day.date),
            "hours": "4.00",
            "name": "Half",
            "kind": "half_day",
        },
        ("calendar-days/{pk}/", "PATCH"): lambda: {"name": "Renamed"},
        ("imports/", "POST"): lambda: Upload.of(
            {"kind": "tags", "file": ("more-tags.csv", b"code,label,category\nsec-up,Up,skill\n")}
        ),
        ("imports/{pk}/commit/", "POST"): lambda: {"partial": False},
        ("webhooks/", "POST"): lambda: {
            "url": "http://127.0.0.1:9/new",
            "description": "New",
            "event_types": ["coveris.assignment.*", "coveris.employee.terminated"],
            "org_unit": w.unit_in.pk,
        },
        ("webhooks/{pk}/", "PUT"): lambda: {
            "url": "http://127.0.0.1:9/renamed",
            "description": "Renamed",
            "event_types": ["coveris.assignment.approved"],
            "org_unit": w.root_in.pk,
            "active": True,
        },
        ("webhooks/{pk}/", "PATCH"): lambda: {"description": "Renamed"},
        ("webhooks/{pk}/rotate-secret/", "POST"): lambda: {"overlap_hours": 24},
        # Every event there is (the World's delivery's among them): its delivery is reset.
        ("webhooks/{pk}/replay/", "POST"): lambda: {
            "since": "2000-01-01T00:00:00Z",
            "until": "2100-01-01T00:00:00Z",
        },
        # Leave: the week after the World's request (no overlap), hours given.
        ("leave-requests/", "POST"): lambda: {
            "employee": employee.pk,
            "kind": "vacation",
            "start_date": _iso(LEAVE_MONDAY + dt.timedelta(days=7)),
            "end_date": _iso(LEAVE_MONDAY + dt.timedelta(days=11)),
            "hours": "32.00",
            "note": "matrix",
        },
        # What approving a request not yet asked for would do (no free text: simulate answers
        # no note to compare a stored text with).
        ("leave-requests/simulate/", "POST"): lambda: {
            "employee": employee.pk,
            "kind": "vacation",
            "start_date": _iso(LEAVE_MONDAY + dt.timedelta(days=14)),
            "end_date": _iso(LEAVE_MONDAY + dt.timedelta(days=18)),
        },
        ("leave-requests/{pk}/transitions/", "POST"): lambda: {
            "transition": "approve",
            "reason": "matrix",
        },
        ("leave-entitlements/", "POST"): lambda: {
            "employee": employee.pk,
            "year": LEAVE_YEAR,
            "kind": "sick",
            "hours": "40.00",
            "note": "matrix",
        },
        ("leave-entitlements/{pk}/", "PUT"): lambda: {
            "employee": employee.pk,
            "year": LEAVE_YEAR,
            "kind": "vacation",
            "hours": "96.00",
            "note": "renewed",
        },
        ("leave-entitlements/{pk}/", "PATCH"): lambda: {"hours": "96.00"},
    }
    make = bodies.get((route, method))
    return make() if make is not None else None


def login_with_cookies(client: APIClient, email: str, password: str = PASSWORD) -> str:
    """The SPA's login (CSRF cookie first, then credentials with X-CSRFToken); returns the CSRF
    token to send as X-CSRFToken on unsafe requests."""
    client.get(API_PREFIX + "auth/csrf/")
    response = client.post(
        API_PREFIX + "auth/login/",
        {"email": email, "password": password},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 200, response.content
    return client.cookies["csrftoken"].value
