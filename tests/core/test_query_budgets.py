"""Query budgets: every list endpoint (and every detail) answers in at most 5 queries, the
same number at page size 1 and 100 — generated from the router, so a new endpoint is covered."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings
from django.utils import timezone

from apps.events import services as webhook_services
from apps.events.models import Attempt, Delivery, DeliveryState, Event, Webhook
from apps.imports import engine as import_engine
from apps.imports import services as import_services
from apps.imports.models import Import
from apps.users.models import Role
from config.api import router
from tests.conftest import shared_rows
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
