"""Query budgets: every list endpoint (and every detail) answers in at most 5 queries, the
same number at page size 1 and 100 — generated from the router, so a new endpoint is covered.
The demo organisation is seeded with leave (requests and entitlements of 120 employees, one
request asked for and decided through the services, so it has a history)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from apps.events import services as webhook_services
from apps.events.models import Attempt, Delivery, DeliveryState, Event, Webhook
from apps.fsm.services import transition_apply
from apps.imports import engine as import_engine
from apps.imports import services as import_services
from apps.imports.models import Import
from apps.leave import services as leave_services
from apps.leave.models import LeaveEntitlement, LeaveKind, LeaveRequest, LeaveState
from apps.org.models import Employee, OrgUnit
from apps.users.models import Role, User
from config.api import router
from tests.conftest import bearer, shared_rows
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db
BUDGET = 5
REPORTS = [
    "/api/v1/coverage/?from=2026-01-05&to=2026-03-30",
    "/api/v1/coverage/summary/?from=2026-01-05&to=2026-03-30&depth=2",
    "/api/v1/supply/?from=2026-01-05&to=2026-03-30",
]


# The database cache would add throttle queries to every request; production uses Redis.
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def _seed() -> None:
    with override_settings(CACHES=LOCMEM):
        call_command("seed_demo", employees=130, positions=40, org_units=8, stdout=None)
        # An import checked row by row: imports/, its detail and its rows/.
        upload = import_services.import_create(
            kind="tags",
            filename="tags.csv",
            content=b"code,label,category\n"
            + b"".join(f"qb-{i},Tag {i},skill\n".encode() for i in range(120)),
            user=None,
        )
        import_engine.validate(upload)
        # Webhooks (webhooks/), one with 120 deliveries of the demo's events, two attempts each.
        admin = UserFactory(role=Role.ADMIN, email="qb-webhooks@example.test")
        for n in range(5):
            webhook_services.webhook_create(url=f"http://127.0.0.1:9/qb-{n}", actor=admin)
        webhook, _secret = webhook_services.webhook_create(url="http://127.0.0.1:9/qb", actor=admin)
        now = timezone.now()
        deliveries = Delivery.objects.bulk_create(
            Delivery(
                webhook=webhook,
                event=event,
                subject=event.subject,
                shard=0,
                state=DeliveryState.DELIVERED,
                attempts=2,
                next_attempt_at=now,
            )
            for event in Event.objects.order_by("id")[:120]
        )
        Attempt.objects.bulk_create(
            Attempt(delivery=row, at=now, status_code=status, duration_ms=3)
            for row in deliveries
            for status in (500, 200)
        )
        _seed_leave(admin)
        # A manager of every top unit: leave lists read through a manager's scope.
        manager = UserFactory(role=Role.MANAGER, email="qb-manager@example.test")
        manager.scope.add(*OrgUnit.objects.filter(parent__isnull=True))


# Next year's first week of March (leave is asked for ahead of today, within one year).
LEAVE_START = dt.date(timezone.localdate().year + 1, 3, 1)
LEAVE_START -= dt.timedelta(days=LEAVE_START.weekday())
LEAVE_YEAR = LEAVE_START.year


def _seed_leave(admin) -> None:
    """Sick and unpaid-leave entitlements for 110 employees (seed_demo gives everyone their
    vacation), a requested, approved or rejected week of leave for 109 of them (written as
    rows), and one request of an active employee asked for and rejected through the services
    (its history has the two transitions)."""
    employees = list(Employee.objects.filter(termination_date__isnull=True).order_by("id")[:110])
    assert len(employees) == 110
    asking = next(e for e in employees if e.state == "active")
    LeaveEntitlement.objects.bulk_create(
        LeaveEntitlement(employee=e, year=LEAVE_YEAR, kind=kind, hours=Decimal("160.00"))
        for e in employees
        for kind in (LeaveKind.SICK, LeaveKind.UNPAID)
    )
    states = (LeaveState.REQUESTED, LeaveState.APPROVED, LeaveState.REJECTED)
    LeaveRequest.objects.bulk_create(
        LeaveRequest(
            employee=e,
            start_date=LEAVE_START + dt.timedelta(days=7),
            end_date=LEAVE_START + dt.timedelta(days=11),
            hours=Decimal("32.00"),
            hours_given=True,
            state=states[n % 3],
        )
        for n, e in enumerate(e for e in employees if e != asking)
    )
    decided = leave_services.leave_request_create(
        actor=admin,
        employee=asking,
        start_date=LEAVE_START,
        end_date=LEAVE_START + dt.timedelta(days=4),
        note="query budgets",
    )
    transition_apply(subject=decided, transition="reject", actor=admin, reason="query budgets")


@pytest.fixture(scope="module")
def _seeded_once(django_db_setup, django_db_blocker):
    """The demo organisation, seeded once for the module (about a second a test) and rolled
    back after it; each test reads it in a savepoint of its transaction."""
    with shared_rows(django_db_blocker, _seed):
        yield


@pytest.fixture
def seeded(db, _seeded_once, settings):
    settings.CACHES = LOCMEM


def count(client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(ctx.captured_queries), response


def list_urls() -> list[str]:
    return [f"/api/v1/{prefix}/" for prefix, _, _ in router.registry]


@pytest.mark.parametrize("url", list_urls() + REPORTS)
def test_list_queries_do_not_depend_on_page_size(url, seeded, as_admin):
    separator = "&" if "?" in url else "?"
    small, _ = count(as_admin, f"{url}{separator}page_size=1")
    large, _response = count(as_admin, f"{url}{separator}page_size=100")
    assert small == large, (url, small, large)
    assert large <= BUDGET, (url, large)


# The audit log and the event feed have no detail route.
@pytest.mark.parametrize(
    "prefix", [p for p, _, _ in router.registry if p not in ("audit-log", "events")]
)
def test_detail_queries_within_budget(prefix, seeded, as_admin):
    _, listing = count(as_admin, f"/api/v1/{prefix}/?page_size=1")
    rows = listing.json()["results"]
    if not rows:
        pytest.fail(f"{prefix}: the demo data has no rows to open")
    queries, _ = count(as_admin, f"/api/v1/{prefix}/{rows[0]['id']}/")
    assert queries <= BUDGET, (prefix, queries)


@pytest.mark.parametrize("prefix", ["employees", "assignments"])
def test_history_within_budget(prefix, seeded, as_admin):
    first = as_admin.get(f"/api/v1/{prefix}/?page_size=1").json()["results"][0]["id"]
    small, _ = count(as_admin, f"/api/v1/{prefix}/{first}/history/?page_size=1")
    large, _ = count(as_admin, f"/api/v1/{prefix}/{first}/history/?page_size=100")
    assert small == large <= BUDGET


# --- leave -------------------------------------------------------------------------------------

LEAVE_LISTS = ["/api/v1/leave-requests/", "/api/v1/leave-entitlements/"]


@pytest.fixture
def as_leave_manager(seeded) -> APIClient:
    return bearer(APIClient(), User.objects.get(email="qb-manager@example.test"))


@pytest.mark.parametrize("url", LEAVE_LISTS)
@pytest.mark.parametrize("role", ["admin", "manager"])
def test_leave_lists_at_two_page_sizes(url, role, seeded, as_admin, as_leave_manager):
    """A page of 100 rows costs what a page of one does (the employee's name on every row is
    read in the list's own query), for an HR admin and through a manager's scope."""
    client = as_admin if role == "admin" else as_leave_manager
    small, _ = count(client, f"{url}?page_size=1")
    large, response = count(client, f"{url}?page_size=100")
    assert len(response.json()["results"]) == 100
    assert small == large <= BUDGET, (url, role, small, large)
    filtered, _ = count(client, f"{url}?kind=vacation&page_size=100")
    assert filtered <= BUDGET, (url, role, filtered)


def test_leave_request_detail_and_history_within_budget(seeded, as_admin, as_leave_manager):
    decided = LeaveRequest.objects.get(note="query budgets")
    url = f"/api/v1/leave-requests/{decided.pk}/"
    for client in (as_admin, as_leave_manager):
        queries, response = count(client, url)
        assert response.json()["state"] == "rejected"
        assert queries <= BUDGET, queries
        small, _ = count(client, f"{url}history/?page_size=1")
        large, history = count(client, f"{url}history/?page_size=100")
        logged = [row["transition"] for row in history.json()["results"]]
        assert {"request", "reject"} <= set(logged), logged  # beside the captured changes
        assert small == large <= BUDGET, (small, large)


def test_leave_entitlement_history_within_budget(seeded, as_admin):
    entitlement = LeaveEntitlement.objects.order_by("id")[0]
    url = f"/api/v1/leave-entitlements/{entitlement.pk}/history/"
    small, _ = count(as_admin, f"{url}?page_size=1")
    large, _ = count(as_admin, f"{url}?page_size=100")
    assert small == large <= BUDGET, (small, large)


def test_leave_balance_within_budget(seeded, as_admin, as_leave_manager):
    employee = LeaveRequest.objects.get(note="query budgets").employee_id
    url = f"/api/v1/employees/{employee}/leave-balance/?year={LEAVE_YEAR}&kind=sick"
    for client in (as_admin, as_leave_manager):
        queries, response = count(client, url)
        body = response.json()
        assert (body["entitled"], body["remaining"]) == ("160.00", "160.00")
        assert len(body["kinds"]) == len(LeaveKind.values)
        assert queries <= BUDGET, queries


def test_import_rows_within_budget(seeded, as_admin):
    upload = Import.objects.get(filename="tags.csv")
    url = f"/api/v1/imports/{upload.pk}/rows/"
    small, _ = count(as_admin, f"{url}?page_size=1")
    large, response = count(as_admin, f"{url}?page_size=100")
    assert len(response.json()["results"]) == 100
    assert small == large <= BUDGET, (small, large)


def test_candidates_within_budget(seeded, as_admin):
    position = as_admin.get("/api/v1/positions/?page_size=1").json()["results"][0]["id"]
    url = f"/api/v1/positions/{position}/candidates/?from=2026-03-02&to=2026-04-26"
    small, _ = count(as_admin, f"{url}&page_size=1")
    large, _ = count(as_admin, f"{url}&page_size=100")
    assert small == large <= BUDGET + 2, (small, large)  # + the tag and supply loads


def test_webhook_deliveries_within_budget(seeded, as_admin):
    webhook = Webhook.objects.get(url="http://127.0.0.1:9/qb")
    url = f"/api/v1/webhooks/{webhook.pk}/deliveries/"
    small, _ = count(as_admin, f"{url}?page_size=1")
    large, response = count(as_admin, f"{url}?page_size=100")
    rows = response.json()["results"]
    assert len(rows) == 100
    assert [a["status_code"] for a in rows[0]["attempt_log"]] == [500, 200]
    assert small == large <= BUDGET, (small, large)
    filtered, _ = count(as_admin, f"{url}?state=delivered&page_size=100")
    assert filtered == large
