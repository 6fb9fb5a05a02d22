"""Every URL answers with and without its trailing slash, for every method (issue 16, item 1):
no redirect that loses a body, no 500 under DEBUG."""

from __future__ import annotations

import pytest

from apps.org.models import OrgUnit
from tests.factories.org import make_position, make_unit

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_a_post_without_the_slash_creates(as_admin, debug):
    response = as_admin.post(
        "/api/v1/org-units", {"code": "NOSLASH", "name": "No slash"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert OrgUnit.objects.filter(code="NOSLASH").exists()


def test_patch_and_delete_without_the_slash(as_admin, debug):
    unit = make_unit()
    assert (
        as_admin.patch(
            f"/api/v1/org-units/{unit.pk}", {"name": "Renamed"}, format="json"
        ).status_code
        == 200
    )
    position = make_position(unit)
    created = as_admin.post(
        "/api/v1/coverage-requirements",
        {
            "position": position.pk,
            "start_date": "2026-03-02",
            "end_date": "2026-03-08",
            "required_hours": "10",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert as_admin.delete(f"/api/v1/coverage-requirements/{pk}").status_code == 204


@pytest.mark.parametrize(
    "path",
    ["/api/v1/employees", "/api/v1/coverage", "/api/v1/audit-log", "/healthz/", "/readyz/"],
)
def test_reads_with_the_other_slash(as_admin, debug, path):
    response = as_admin.get(path)
    assert response.status_code in (200, 503), (path, response.status_code)
    assert response.status_code != 301


def test_an_unknown_url_stays_a_404_either_way(as_admin, debug):
    for path in ("/api/v1/planets", "/api/v1/planets/"):
        response = as_admin.post(path, {}, format="json")
        assert response.status_code == 404, path
