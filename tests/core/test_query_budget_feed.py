"""The event feed's query budget at two page sizes (tests/core/test_query_budgets.py holds the
other lists). The feed lists committed events only, so the events are committed here (a
transactional test, in a module of its own: the other budgets share rows in one open
transaction)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from tests.factories.org import make_unit

BUDGET = 5
FEED = "/api/v1/events/"
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def count(client, url: str):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(ctx.captured_queries), response.json()


@pytest.mark.django_db(transaction=True)
@override_settings(CACHES=LOCMEM)
def test_feed_queries_do_not_depend_on_page_size(as_admin):
    for n in range(110):
        make_unit(f"QB-FEED-{n}")

    small, one = count(as_admin, f"{FEED}?page_size=1")
    large, hundred = count(as_admin, f"{FEED}?page_size=100")
    # Reading on from a cursor costs the same.
    after, more = count(as_admin, f"{FEED}?after={hundred['cursor']}&page_size=100")

    assert (len(one["results"]), len(hundred["results"])) == (1, 100)
    assert more["results"], "the 110 units' events go on after the first 100"
    assert small == large == after <= BUDGET, (small, large, after)
