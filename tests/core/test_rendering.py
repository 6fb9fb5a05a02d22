"""The API speaks JSON rendered by orjson: decimals as strings, ids and lazy text as strings."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
from django.utils.translation import gettext_lazy

from apps.core.renderers import JSONRenderer, dumps


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: rendering needs no database."""


def render(data):
    return json.loads(JSONRenderer().render(data))


def test_hours_render_as_decimal_strings_not_floats():
    assert render({"weekly_hours": Decimal("38.50")}) == {"weekly_hours": "38.50"}


def test_ids_dates_and_lazy_text_render_as_strings():
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    body = render(
        {
            "id": ident,
            "week_start": dt.date(2026, 1, 12),
            "at": dt.datetime(2026, 1, 12, 8, 30, tzinfo=dt.UTC),
            "label": gettext_lazy("Active"),
        }
    )
    assert body == {
        "id": "12345678-1234-5678-1234-567812345678",
        "week_start": "2026-01-12",
        "at": "2026-01-12T08:30:00+00:00",
        "label": "Active",
    }


def test_mappings_iterables_and_non_string_keys_render():
    class Weeks:
        def __iter__(self):
            return iter(["2026-W03", "2026-W04"])

    class Vector:
        def tolist(self):
            return [1, 2]

    assert render({"weeks": Weeks(), "v": Vector(), "by_id": {1: "a"}}) == {
        "weeks": ["2026-W03", "2026-W04"],
        "v": [1, 2],
        "by_id": {"1": "a"},
    }
    from types import MappingProxyType

    assert render(MappingProxyType({"a": 1})) == {"a": 1}


def test_nothing_renders_as_an_empty_body():
    assert JSONRenderer().render(None) == b""


def test_unserializable_values_fail_loudly():
    with pytest.raises(TypeError, match="not JSON serializable: object"):
        dumps({"x": object()})


def test_media_types():
    assert JSONRenderer.media_type == "application/json"
    assert dumps({"a": Decimal("1.10")}) == b'{"a":"1.10"}'
