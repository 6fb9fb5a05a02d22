"""/healthz says the process is up; /readyz says whether it can serve (database, migrations and
the cache; the cache's outage is tested in test_cache_outage.py)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import OperationalError, connections
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

pytestmark = pytest.mark.django_db


def test_healthz_is_200_without_authentication():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_even_when_the_database_is_down():
    with mock.patch.object(
        connections["default"], "cursor", side_effect=OperationalError("connection refused")
    ):
        response = Client().get("/healthz")
    assert response.status_code == 200


def test_readyz_is_200_with_the_database_up_and_migrated():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}
    assert "no-cache" in response["Cache-Control"]


# On a database error /readyz closes the broken connection, which would end the test's
# transaction: these tests run outside one.
@pytest.mark.django_db(transaction=True)
def test_readyz_is_503_when_the_database_is_unreachable():
    with mock.patch.object(
        connections["default"],
        "cursor",
        side_effect=OperationalError("could not connect to server: Connection refused"),
    ):
        response = Client().get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["database"] == "unreachable"
    assert "Connection refused" not in response.content.decode()


def test_readyz_is_503_while_migrations_are_pending():
    pending = [(mock.Mock(name="0099_future"), False)]
    with mock.patch.object(MigrationExecutor, "migration_plan", return_value=pending):
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "pending_migrations": 1,
        "cache": "ok",
    }


@pytest.mark.django_db(transaction=True)
def test_readyz_recovers_once_the_database_is_back():
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("down")):
        assert Client().get("/readyz").status_code == 503
    assert Client().get("/readyz").status_code == 200


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_checks_refuse_writes(path):
    response = Client().post(path)
    assert response.status_code == 405
