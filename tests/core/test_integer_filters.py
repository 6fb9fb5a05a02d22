"""An integer filter takes whole numbers written as such: `2027.0`, `1e3`, non-ASCII digits
and numbers past any column are a 400 naming the parameter, never an empty page or a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/leave-entitlements/"


@pytest.mark.parametrize(
    "value", ["2027.0", "2027.", "1e3", "２０２７", "+-2027", "20 27", str(10**30), "-" + "9" * 40]
)
def test_an_integer_filter_refuses_what_is_not_a_whole_number(as_admin, value):
    response = as_admin.get(URL, {"year": value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert "year" in body["errors"]


@pytest.mark.parametrize("value", ["2027", " 2027 ", "-1", "0"])
def test_an_integer_filter_takes_whole_numbers(as_admin, value):
    assert as_admin.get(URL, {"year": value}).status_code == 200
