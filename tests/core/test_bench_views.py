"""The benchmark's raw floor serves the same page as GET employees/ (same rows, order, org
units and tags), so `list / raw floor` in docs/PERFORMANCE.md compares like with like."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import RequestFactory
from rest_framework.test import APIClient

from bench.urls import bare, raw_floor
from tests.factories.org import make_employee, make_unit
from tests.factories.tags import give_tag, make_tag

pytestmark = pytest.mark.django_db


def test_the_raw_floor_is_the_list_page_without_the_framework(as_admin: APIClient) -> None:
    unit = make_unit()
    people = [make_employee(unit, last_name=name) for name in ("Berg", "Aalto", "Moss")]
    give_tag(people[0], make_tag("welding"), level=4, valid_from=dt.date(2026, 2, 2))
    floor = json.loads(raw_floor(RequestFactory().get("/bench/raw-employees/")).content)
    page = as_admin.get("/api/v1/employees/").json()
    assert floor["count"] == page["count"] == 3
    fields = ("id", "contract_hours", "hire_date", "tags")
    assert [{f: row[f] for f in fields} for row in floor["results"]] == [
        {f: row[f] for f in fields} for row in page["results"]
    ]
    assert [row["org_unit__code"] for row in floor["results"]] == [
        row["org_unit_summary"]["code"] for row in page["results"]
    ]


def test_the_bare_baseline_touches_nothing() -> None:
    assert json.loads(bare(RequestFactory().get("/bench/bare/")).content) == {"ok": True}
