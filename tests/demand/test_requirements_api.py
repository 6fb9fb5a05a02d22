"""coverage-requirements/: HR admins write, others read what they may see; no two requirements
of a position overlap; If-Match; a requirement changes coverage/ for its days."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.demand.models import CoverageRequirement
from apps.demand.services import requirement_create
from tests.conftest import bearer
from tests.factories.org import make_position, make_unit
from tests.offer.test_ledger import THREADS, race  # real threads released together

pytestmark = pytest.mark.django_db

URL = "/api/v1/coverage-requirements/"
COVERAGE = "/api/v1/coverage/"
W10 = dt.date(2026, 3, 2)  # Monday of 2026-W10
FIELDS = ["id", "position", "start_date", "end_date", "required_hours"]
D = Decimal


def problem(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with `status` (and `code`)."""
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    return body


def rows() -> list[dict[str, Any]]:
    return list(CoverageRequirement.objects.order_by("id").values())


@pytest.fixture
def org(manager_user) -> dict[str, Any]:
    """nurse (WARD, the manager's scope, 40 h) and tech (LAB, 20 h), open since 2025."""
    ward, lab = make_unit("WARD"), make_unit("LAB")
    manager_user.scope.add(ward)
    start = dt.date(2025, 1, 6)
    return {
        "nurse": make_position(ward, code="NURSE", weekly_hours=D("40"), start_date=start),
        "tech": make_position(lab, code="TECH", weekly_hours=D("20"), start_date=start),
    }


@pytest.fixture
def requirement(org) -> CoverageRequirement:
    """nurse, 60 h in W10."""
    return requirement_create(
        position=org["nurse"],
        start_date=W10,
        end_date=W10 + dt.timedelta(days=6),
        required_hours=D("60"),
    )


def body(position: Any, start: str, end: str, hours: str = "54.00") -> dict[str, Any]:
    return {"position": position.pk, "start_date": start, "end_date": end, "required_hours": hours}


def detail(requirement: Any) -> str:
    return f"{URL}{requirement.pk if hasattr(requirement, 'pk') else requirement}/"


# --- create -------------------------------------------------------------------------------


def test_admin_creates_a_requirement(as_admin, org):
    response = as_admin.post(URL, body(org["nurse"], "2026-03-11", "2026-03-17"))
    assert response.status_code == 201, response.content
    data = response.json()
    assert list(data) == FIELDS
    assert data == {
        "id": data["id"],
        "position": org["nurse"].pk,
        "start_date": "2026-03-11",
        "end_date": "2026-03-17",
        "required_hours": "54.00",
    }
    assert response["ETag"]
    [row] = rows()
    assert (row["id"], row["position_id"], row["required_hours"]) == (
        data["id"],
        org["nurse"].pk,
        D("54.00"),
    )


@pytest.mark.parametrize("role", ["manager", "auditor", "employee"])
def test_only_admins_write(role, request, org, requirement):
    client = request.getfixturevalue(f"as_{role}")
    before = rows()
    problem(client.post(URL, body(org["nurse"], "2026-04-06", "2026-04-12")), 403)
    if role == "employee":  # sees no requirement at all
        problem(client.patch(detail(requirement), {"required_hours": "1"}), 404)
        problem(client.delete(detail(requirement)), 404)
    else:
        problem(client.patch(detail(requirement), {"required_hours": "1"}), 403)
        problem(
            client.put(detail(requirement), body(org["nurse"], "2026-03-02", "2026-03-08")), 403
        )
        problem(client.delete(detail(requirement)), 403)
    assert rows() == before


def test_anonymous_is_401(api_client, org, requirement):
    problem(api_client.get(URL), 401)
    problem(api_client.post(URL, body(org["nurse"], "2026-04-06", "2026-04-12")), 401)
    problem(api_client.delete(detail(requirement)), 401)
    assert len(rows()) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_date": "2026-03-10"}, "end_date"),
        ({"start_date": "2026-02-30"}, "start_date"),
        ({"required_hours": "-1"}, "required_hours"),
        ({"required_hours": "10000.01"}, "required_hours"),
        ({"required_hours": "NaN"}, "required_hours"),
        ({"required_hours": "1.005"}, "required_hours"),
        ({"position": 999999}, "position"),
        ({"position": None}, "position"),
        ({"id": 5, "updated_at": "2026-01-01T00:00:00Z"}, "updated_at"),
    ],
)
def test_invalid_requirements_are_400(as_admin, org, overrides, field):
    data = {**body(org["nurse"], "2026-03-11", "2026-03-17"), **overrides}
    problem_body = problem(as_admin.post(URL, data), 400)
    assert field in problem_body["errors"], problem_body
    assert rows() == []


def test_zero_hours_is_a_valid_requirement(as_admin, org):
    response = as_admin.post(URL, body(org["nurse"], "2026-03-02", "2026-03-08", "0"))
    assert response.status_code == 201, response.content
    params = {"position": org["nurse"].pk, "from": "2026-03-02", "to": "2026-03-02"}
    [row] = as_admin.get(COVERAGE, params).json()["results"]
    assert (row["required"], row["assigned"], row["ratio"]) == ("0.00", "0.00", None)


# --- no overlap ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2026-03-02", "2026-03-08"),  # the same days
        ("2026-03-08", "2026-03-20"),  # sharing its last day
        ("2026-02-01", "2026-03-02"),  # sharing its first day
        ("2026-03-04", "2026-03-05"),  # inside
        ("2026-01-01", "2026-12-31"),  # around
    ],
)
def test_overlapping_requirement_is_409(as_admin, org, requirement, start, end):
    response = as_admin.post(URL, body(org["nurse"], start, end))
    data = problem(response, 409, "overlapping_requirement")
    assert data["conflicting"] == requirement.pk
    assert len(rows()) == 1


def test_adjacent_and_other_positions_do_not_overlap(as_admin, org, requirement):
    assert as_admin.post(URL, body(org["nurse"], "2026-03-09", "2026-03-15")).status_code == 201
    assert as_admin.post(URL, body(org["nurse"], "2026-02-01", "2026-03-01")).status_code == 201
    assert as_admin.post(URL, body(org["tech"], "2026-03-02", "2026-03-08")).status_code == 201
    assert len(rows()) == 4


def test_update_into_an_overlap_is_409(as_admin, org, requirement):
    later = requirement_create(
        position=org["nurse"],
        start_date=W10 + dt.timedelta(weeks=2),
        end_date=W10 + dt.timedelta(weeks=3),
        required_hours=D("10"),
    )
    before = rows()
    data = problem(
        as_admin.patch(detail(later), {"start_date": "2026-03-08"}), 409, "overlapping_requirement"
    )
    assert data["conflicting"] == requirement.pk
    assert rows() == before
    # Moving it onto another position's calendar is fine.
    response = as_admin.patch(
        detail(later), {"position": org["tech"].pk, "start_date": "2026-03-08"}
    )
    assert response.status_code == 200, response.content


def test_update_may_keep_its_own_days(as_admin, requirement):
    response = as_admin.patch(detail(requirement), {"end_date": "2026-03-09"})
    assert response.status_code == 200, response.content
    assert response.json()["end_date"] == "2026-03-09"


# --- If-Match -----------------------------------------------------------------------------


def test_stale_if_match_is_412_and_nothing_changes(as_admin, requirement):
    etag = as_admin.get(detail(requirement))["ETag"]
    assert (
        as_admin.patch(
            detail(requirement), {"required_hours": "50"}, HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )
    before = rows()
    data = problem(
        as_admin.patch(detail(requirement), {"required_hours": "45"}, HTTP_IF_MATCH=etag),
        412,
        "precondition_failed",
    )
    assert data["current_etag"] != etag
    put = body(requirement.position, "2026-03-02", "2026-03-08", "45")
    problem(as_admin.put(detail(requirement), put, HTTP_IF_MATCH=etag), 412, "precondition_failed")
    assert rows() == before
    assert before[0]["required_hours"] == D("50.00")


def test_matching_if_match_updates_and_returns_the_new_etag(as_admin, requirement):
    etag = as_admin.get(detail(requirement))["ETag"]
    response = as_admin.patch(detail(requirement), {"required_hours": "45"}, HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["required_hours"] == "45.00"
    assert response["ETag"] != etag
    assert response["ETag"] == as_admin.get(detail(requirement))["ETag"]


# --- reads --------------------------------------------------------------------------------


def test_reads_are_scoped(as_admin, as_auditor, as_manager, as_employee, org, requirement):
    tech = requirement_create(
        position=org["tech"], start_date=W10, end_date=W10, required_hours=D("5")
    )

    def ids(client: Any) -> list[int]:
        response = client.get(URL)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert sorted(ids(as_admin)) == sorted(ids(as_auditor)) == sorted([requirement.pk, tech.pk])
    assert ids(as_manager) == [requirement.pk]
    assert ids(as_employee) == []
    problem(as_manager.get(detail(tech)), 404)
    assert as_manager.get(detail(requirement)).json()["required_hours"] == "60.00"
    assert as_admin.get(URL, {"position": org["tech"].pk}).json()["count"] == 1


# --- effect on coverage -------------------------------------------------------------------


def test_a_requirement_changes_coverage_for_its_days_only(as_admin, org):
    params = {"position": org["nurse"].pk, "from": "2026-03-02", "to": "2026-03-29"}

    def required() -> list[str]:
        response = as_admin.get(COVERAGE, params)
        assert response.status_code == 200, response.content
        return [r["required"] for r in response.json()["results"]]

    assert required() == ["40.00"] * 4
    # Wednesday of W11 to Tuesday of W12 at 54 h: W11 = (2·40 + 5·54)/7, W12 = (2·54 + 5·40)/7.
    created = as_admin.post(URL, body(org["nurse"], "2026-03-11", "2026-03-17", "54"))
    assert created.status_code == 201
    assert required() == ["40.00", "50.00", "44.00", "40.00"]
    # At 19 h: W11 = (80 + 95)/7, W12 = (38 + 200)/7.
    assert as_admin.patch(detail(created.json()["id"]), {"required_hours": "19"}).status_code == 200
    assert required() == ["40.00", "25.00", "34.00", "40.00"]
    assert as_admin.delete(detail(created.json()["id"])).status_code == 204
    assert required() == ["40.00"] * 4
    assert rows() == []


# --- concurrency --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_overlapping_requirements_exactly_one_wins(admin_user, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    position = make_position(make_unit(), start_date=dt.date(2025, 1, 6))
    clients = [bearer(APIClient(), admin_user) for _ in range(THREADS)]
    # Every request overlaps every other one on 2026-03-08.
    starts = [str(W10 + dt.timedelta(days=i % 7)) for i in range(THREADS)]
    data = [body(position, start, "2026-03-08") for start in starts]
    results = race(lambda: clients.pop().post(URL, data.pop(), format="json"))
    statuses = sorted(getattr(r, "status_code", r) for r in results)
    assert statuses == [201] + [409] * (THREADS - 1), results
    assert {r.json()["code"] for r in results if r.status_code == 409} == {
        "overlapping_requirement"
    }
    assert CoverageRequirement.objects.filter(position=position).count() == 1
