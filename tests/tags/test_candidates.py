"""GET positions/{id}/candidates/: ranking by required tags met, preferred tags met, free hours;
each score explained; visibility; pagination; a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.fsm.services import transition_apply
from tests.factories.assignments import MONDAY, make_assignment
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag, need_tag

pytestmark = pytest.mark.django_db
END = MONDAY + dt.timedelta(days=27)  # W10..W13
PERIOD = "from=2026-03-02&to=2026-03-29"
HIRED = dt.date(2025, 1, 6)


def person(unit, first, last, actor, state="active", hours="40.00", **kw):
    e = make_employee(
        unit, first_name=first, last_name=last, contract_hours=Decimal(hours), hire_date=HIRED, **kw
    )
    path = {
        "candidate": [],
        "onboarding": ["start_onboarding"],
        "active": ["start_onboarding", "activate"],
        "terminated": ["start_onboarding", "activate", "terminate"],
    }[state]
    for name in path:
        e, _ = transition_apply(subject=e, transition=name, actor=actor)
    return e


@pytest.fixture
def org(admin_user):
    """A driver position requiring forklift (≥2) and first aid (≥1), preferring English (≥3),
    and six employees who fit it more or less."""
    root = make_unit("ROOT")
    depot = make_unit("DEPOT", parent=root)
    office = make_unit("OFFICE", parent=root)
    position = make_position(depot, code="DRV", title="Driver", start_date=HIRED)
    forklift = make_tag("forklift", label="Forklift licence")
    first_aid = make_tag("first-aid", label="First aid")
    english = make_tag("lang-en", label="English")
    need_tag(position, forklift, min_level=2)
    need_tag(position, first_aid, min_level=1)
    need_tag(position, english, min_level=3, requirement="preferred")

    people = {}
    people["alice"] = a = person(depot, "Alice", "Able", admin_user, state="onboarding")
    for tag, level in ((forklift, 3), (first_aid, 1), (english, 4)):
        give_tag(a, tag, level=level)
    # Alice already works 20 h a week elsewhere: 4 × 20 = 80 free hours.
    make_assignment(
        a,
        make_position(depot, start_date=HIRED),
        state="approved",
        start=MONDAY,
        end=END,
        hours="20.00",
    )
    people["bob"] = b = person(depot, "Bob", "Busy", admin_user)
    give_tag(b, forklift, level=2)
    give_tag(b, first_aid, level=2)
    people["cara"] = c = person(office, "Cara", "Free", admin_user)
    for tag, level in ((forklift, 2), (first_aid, 1), (english, 3)):
        give_tag(c, tag, level=level)
    people["dan"] = d = person(depot, "Dan", "Low", admin_user)
    give_tag(d, forklift, level=1)
    give_tag(d, first_aid, level=1)
    people["eve"] = e = person(depot, "Eve", "Expiring", admin_user)
    give_tag(e, forklift, level=3, valid_until=dt.date(2026, 3, 18))
    give_tag(e, first_aid, level=1)
    give_tag(e, english, level=5)
    people["fay"] = person(depot, "Fay", "None", admin_user, hours="20.00")
    # Not candidates: not yet onboarding, or gone.
    person(depot, "Gus", "Candidate", admin_user, state="candidate")
    person(depot, "Hal", "Gone", admin_user, state="terminated")
    return {"position": position, "depot": depot, "people": people}


def url(position, query: str = PERIOD) -> str:
    return f"/api/v1/positions/{position.pk}/candidates/?{query}"


def test_ranking_order_scores_and_explanations(as_admin, org):
    response = as_admin.get(url(org["position"]))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 6
    rows = body["results"]
    assert [r["name"] for r in rows] == [
        "Cara Free",
        "Alice Able",
        "Bob Busy",
        "Eve Expiring",
        "Dan Low",
        "Fay None",
    ]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5, 6]
    by_name = {r["name"]: r for r in rows}
    assert by_name["Cara Free"]["score"] == {
        "required_met": 2,
        "required_total": 2,
        "preferred_met": 1,
        "preferred_total": 1,
        "free_hours": "160.00",
    }
    assert by_name["Cara Free"]["employee"] == org["people"]["cara"].pk
    assert by_name["Cara Free"]["missing_required"] == []
    assert by_name["Cara Free"]["explanation"] == (
        "Cara Free meets 2 of 2 required tags, 1 of 1 preferred tags, and has 160.00 free "
        "hours in 2026-W10 to 2026-W13."
    )
    assert by_name["Alice Able"]["score"]["free_hours"] == "80.00"
    assert by_name["Alice Able"]["state"] == "onboarding"
    assert by_name["Bob Busy"]["score"]["preferred_met"] == 0
    assert by_name["Bob Busy"]["missing_preferred"] == ["lang-en"]
    eve = by_name["Eve Expiring"]
    assert eve["missing_required"] == ["forklift"]
    assert eve["explanation"] == (
        "Eve Expiring meets 1 of 2 required tags (missing forklift: not valid throughout), "
        "1 of 1 preferred tags, and has 160.00 free hours in 2026-W10 to 2026-W13."
    )
    assert by_name["Dan Low"]["missing_required"] == ["forklift"]
    assert "forklift: level 1 < 2" in by_name["Dan Low"]["explanation"]
    fay = by_name["Fay None"]
    assert fay["missing_required"] == ["first-aid", "forklift"]
    assert fay["score"] == {
        "required_met": 0,
        "required_total": 2,
        "preferred_met": 0,
        "preferred_total": 1,
        "free_hours": "80.00",
    }
    assert "(missing first-aid: not held, forklift: not held)" in fay["explanation"]


def test_a_shorter_period_before_the_expiry_counts_the_tag(as_admin, org):
    rows = as_admin.get(url(org["position"], "from=2026-03-02&to=2026-03-15")).json()["results"]
    eve = next(r for r in rows if r["name"] == "Eve Expiring")
    assert eve["score"]["required_met"] == 2
    assert eve["score"]["free_hours"] == "80.00"  # two weeks of 40 h
    # Same tags met, same free hours: ties are broken by name.
    assert [r["name"] for r in rows][:2] == ["Cara Free", "Eve Expiring"]


def test_pagination(as_admin, org):
    first = as_admin.get(url(org["position"], PERIOD + "&page_size=2")).json()
    assert first["count"] == 6
    assert [r["rank"] for r in first["results"]] == [1, 2]
    assert first["next"]
    second = as_admin.get(first["next"]).json()
    assert [r["name"] for r in second["results"]] == ["Bob Busy", "Eve Expiring"]
    assert [r["rank"] for r in second["results"]] == [3, 4]


def test_managers_rank_the_employees_they_see(as_manager, manager_user, org):
    manager_user.scope.add(org["depot"])
    rows = as_manager.get(url(org["position"])).json()["results"]
    # Cara works in the office, outside the manager's scope.
    assert [r["name"] for r in rows] == [
        "Alice Able",
        "Bob Busy",
        "Eve Expiring",
        "Dan Low",
        "Fay None",
    ]


def test_no_tags_ranks_by_free_hours(as_admin, org, admin_user):
    plain = make_position(org["depot"], start_date=HIRED)
    rows = as_admin.get(url(plain)).json()["results"]
    assert [r["score"]["free_hours"] for r in rows] == sorted(
        (r["score"]["free_hours"] for r in rows), key=Decimal, reverse=True
    )
    assert rows[0]["explanation"].endswith(
        "meets every requirement (the position requires no tags), and has 160.00 free hours in "
        "2026-W10 to 2026-W13."
    )


def test_invisible_positions_and_bad_periods(as_admin, as_employee, org):
    assert as_employee.get(url(org["position"])).status_code == 404
    response = as_admin.get(url(org["position"], "from=2026-03-29&to=2026-03-02"))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert as_admin.get(url(org["position"], "from=someday")).status_code == 400
    assert as_admin.get("/api/v1/positions/999999/candidates/").status_code == 404


@pytest.fixture
def local_cache(settings) -> None:
    """Throttle counters in process memory: the counts below are the endpoint's own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def crowd(unit, position, tags, admin_user, size: int) -> None:
    for i in range(size):
        e = person(unit, f"P{i}", f"Crowd{i:03d}", admin_user)
        for j, tag in enumerate(tags):
            if (i + j) % 3:
                give_tag(e, tag, level=1 + (i % 5))
        if i % 4 == 0:
            make_assignment(e, position, state="approved", start=MONDAY, end=END, hours="8.00")


def count_queries(client, position) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url(position, PERIOD + "&page_size=100"))
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), response.json()["count"]


def test_query_count_does_not_grow_with_the_number_of_employees(
    as_manager, manager_user, admin_user, local_cache
):
    tags = [make_tag(f"skill-{i}") for i in range(4)]
    counts = []
    for size in (5, 40):
        unit = make_unit()
        manager_user.scope.set([unit])
        position = make_position(unit, start_date=HIRED)
        for i, tag in enumerate(tags):
            need_tag(position, tag, min_level=2, requirement="required" if i < 2 else "preferred")
        crowd(unit, position, tags, admin_user, size)
        queries, found = count_queries(as_manager, position)
        assert found == size
        counts.append(queries)
    assert counts[0] == counts[1]
    # user, scope, position, position tags, candidates, their tags, supply
    assert counts[0] <= 7, counts
