"""The employee list and detail show each employee's tags (one query for the whole page)."""

from __future__ import annotations

import datetime as dt

import pytest

from apps.tags import services as tags
from apps.tags.models import TagCatalog
from tests.factories.org import make_employee, make_unit

pytestmark = pytest.mark.django_db


def test_list_and_detail_carry_tags(as_admin, admin_user):
    unit = make_unit()
    tagged, bare = make_employee(unit), make_employee(unit)
    for code, level in (("welding", 4), ("first-aid", 2)):
        tag = TagCatalog.objects.create(code=code, label=code.title(), category="skill")
        tags.employee_tag_add(
            employee=tagged, tag=tag, level=level, valid_from=dt.date(2026, 1, 5), actor=admin_user
        )
    rows = {r["id"]: r for r in as_admin.get("/api/v1/employees/").json()["results"]}
    assert [t["tag"] for t in rows[tagged.pk]["tags"]] == ["first-aid", "welding"]
    assert rows[tagged.pk]["tags"][1] == {
        "tag": "welding",
        "label": "Welding",
        "level": 4,
        "valid_from": "2026-01-05",
        "valid_until": None,
    }
    assert rows[bare.pk]["tags"] == []
    detail = as_admin.get(f"/api/v1/employees/{tagged.pk}/").json()
    assert [t["level"] for t in detail["tags"]] == [2, 4]
