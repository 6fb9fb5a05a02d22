"""Decimals as documented (issue 16, item 11): hours match the schema's pattern (ASCII digits,
an optional minus and point, no exponent, no sign, no spaces), minus zero is stored as zero."""

from __future__ import annotations

import ast
from decimal import Decimal
from pathlib import Path

import pytest
from rest_framework import serializers

from apps.core.serializers import DecimalField
from apps.org.models import Position
from tests.factories.org import make_position, make_unit

pytestmark = pytest.mark.django_db

APPS = Path(__file__).resolve().parents[2] / "apps"


@pytest.mark.parametrize(
    "value",
    ["1e1", "+5", " 5", "5 ", "٣٠", "Infinity", "NaN", "0x10", "1_000", "", "-", ".", True, [], {}],
)
def test_anything_but_plain_digits_is_a_400_and_writes_nothing(as_admin, value):
    position = make_position(make_unit())
    response = as_admin.patch(
        f"/api/v1/positions/{position.pk}/", {"weekly_hours": value}, format="json"
    )
    assert response.status_code == 400, (value, response.content)
    assert "weekly_hours" in response.json()["errors"]
    assert Position.objects.get(pk=position.pk).weekly_hours == Decimal("40.00")


@pytest.mark.parametrize("value", ["12", "12.5", "12.50", ".5", "7.", 12, 12.5])
def test_plain_numbers_are_taken(as_admin, value):
    position = make_position(make_unit())
    response = as_admin.patch(
        f"/api/v1/positions/{position.pk}/", {"weekly_hours": value}, format="json"
    )
    assert response.status_code == 200, (value, response.content)


def test_minus_zero_is_stored_as_zero(as_admin):
    response = as_admin.post(
        "/api/v1/coverage-requirements/",
        {
            "position": make_position(make_unit()).pk,
            "start_date": "2026-03-02",
            "end_date": "2026-03-08",
            "required_hours": "-0.00",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["required_hours"] == "0.00"


def test_model_decimals_map_to_the_strict_field():
    assert (
        serializers.ModelSerializer.serializer_field_mapping[
            __import__("django.db.models", fromlist=["DecimalField"]).DecimalField
        ]
        is DecimalField
    )


def test_no_serializer_declares_drfs_decimal_field():
    found = []
    for path in APPS.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "DecimalField"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "serializers"
            ):
                found.append(f"{path.relative_to(APPS)}:{node.lineno}")
    assert found == []
