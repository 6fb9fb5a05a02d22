"""Shared fixtures: API clients per role, cookie login, cache reset, the problem-code guard."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from apps.core.exceptions import UNLISTED_CODE
from apps.users.models import Role
from tests.factories.users import PASSWORD, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _flush_as_the_owner():
    """Transactional tests end with Django's flush, a TRUNCATE, which the logs refuse. The
    test database's owner (a superuser) bypasses the triggers for that one statement with
    `session_replication_role`, which the application's role cannot set."""
    from django.db.backends.postgresql.operations import DatabaseOperations

    original = DatabaseOperations.sql_flush

    def sql_flush(self, style, tables, **kwargs):
        statements = original(self, style, tables, **kwargs)
        if not statements:
            return statements
        return ["SET LOCAL session_replication_role = replica;", *statements]

    DatabaseOperations.sql_flush = sql_flush
    yield
    DatabaseOperations.sql_flush = original


@pytest.fixture(autouse=True)
def _clear_cache():
    """Throttle counters live in the shared cache: every test starts with none."""
    cache.clear()
    yield
    cache.clear()


class _UnlistedCodes(logging.Handler):
    """Collects the problem codes the exception handler found missing from ErrorCode."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.codes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.msg == UNLISTED_CODE and record.args:
            self.codes.append(str(record.args[0]))  # type: ignore[index]


@pytest.fixture(scope="session")
def _unlisted_codes_handler():
    handler = _UnlistedCodes()
    logger = logging.getLogger("apps.core.exceptions")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture(autouse=True)
def unlisted_problem_codes(_unlisted_codes_handler):
    """Every problem a test's requests answer with has a code listed in apps.core.codes: the
    schema promises clients those and no others."""
    codes = _unlisted_codes_handler.codes
    codes.clear()
    yield codes
    assert codes == [], f"problem codes not listed in ErrorCode: {codes}"


@pytest.fixture
def api_client() -> APIClient:
    return APIClient(enforce_csrf_checks=True)


@pytest.fixture
def admin_user(db):
    return UserFactory(role=Role.ADMIN, email="admin@example.test")


@pytest.fixture
def manager_user(db):
    return UserFactory(role=Role.MANAGER, email="manager@example.test")


@pytest.fixture
def auditor_user(db):
    return UserFactory(role=Role.AUDITOR, email="auditor@example.test")


@pytest.fixture
def employee_user(db):
    return UserFactory(role=Role.EMPLOYEE, email="employee@example.test")


def cookie_login(client: APIClient, email: str, password: str = PASSWORD):
    """Log in the way the SPA does: fetch the CSRF cookie, post credentials with the header."""
    client.get("/api/v1/auth/csrf/")
    response = client.post(
        "/api/v1/auth/login/",
        {"email": email, "password": password},
        format="json",
        HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value,
    )
    assert response.status_code == 200, response.content
    return response


def csrf_header(client: APIClient) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def bearer(client: APIClient, user) -> APIClient:
    """Authenticate `client` with a bearer access token for `user`."""
    from rest_framework_simplejwt.tokens import RefreshToken

    client.credentials(HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(user).access_token}")
    return client


@pytest.fixture
def as_admin(admin_user) -> APIClient:
    return bearer(APIClient(), admin_user)


@pytest.fixture
def as_manager(manager_user) -> APIClient:
    return bearer(APIClient(), manager_user)


@pytest.fixture
def as_auditor(auditor_user) -> APIClient:
    return bearer(APIClient(), auditor_user)


@pytest.fixture
def as_employee(employee_user) -> APIClient:
    return bearer(APIClient(), employee_user)


@pytest.fixture
def admin_client_(admin_user) -> Client:
    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    return client
