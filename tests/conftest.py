"""Shared fixtures: API clients per role, cookie login, cache reset, the problem-code guard."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core.cache import cache
from django.db import transaction
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


# --- rows shared by the tests of a module or class ---------------------------------------------


@contextmanager
def shared_rows[T](django_db_blocker: Any, build: Callable[[], T]) -> Iterator[T]:
    """`build()`'s rows for several tests: written once in a transaction that stays open until
    the block ends and is then rolled back. For a module- or class-scoped fixture; the tests
    that run meanwhile use pytest-django's `db`, a savepoint inside that transaction rolled back
    after each test, so every test starts from the rows as built and none sees another's writes.

    Only for tests that are not transactional: transaction=True tests commit and flush, and need
    the connection outside any transaction. pytest-django runs every non-transactional test
    before the transactional ones, but a module's fixture is torn down only when the run leaves
    the module: run on its own, a module's transactional tests would follow its other tests
    inside the module's transaction. In a module that has transactional tests, share the rows
    per class (tests/core/test_idempotency.py); `_no_shared_rows_under_transactional_tests`
    fails such a test at once rather than at its flush."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        _open_shared_rows.append(getattr(build, "__qualname__", repr(build)))
        try:
            built = build()
        except BaseException:
            _open_shared_rows.pop()
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            raise
    try:
        yield built
    finally:
        _open_shared_rows.pop()
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


_open_shared_rows: list[str] = []  # the builds whose transaction is open, innermost last


@pytest.fixture(autouse=True)
def _no_shared_rows_under_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames
    )
    if transactional and _open_shared_rows:
        pytest.fail(
            f"a transactional test inside the open transaction of {_open_shared_rows[-1]}() "
            "(tests/conftest.py's shared_rows): share those rows per class, not per module",
            pytrace=False,
        )


# --- dead rows ---------------------------------------------------------------------------------

_test_database_ready = False


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """pytest-django's test database; noted, so that the module hook below touches it only
    once it exists (a run of tests that need no database creates none)."""
    global _test_database_ready
    _test_database_ready = True
    yield
    _test_database_ready = False


# A table holding more dead rows than this is vacuumed after the module that left them.
DEAD_ROWS_TO_VACUUM = 2_000


@pytest.fixture(autouse=True, scope="module")
def _vacuum_dead_rows(django_db_blocker):
    """Every test's rows are rolled back, and each stays in its table as a dead row until
    VACUUM. A PostgreSQL with autovacuum off (the CI machine's) keeps them for the whole run:
    after the 100,000-row export test, every count or whole-table fingerprint read 60 MB of
    dead ledger rows, and the security sweeps ran ten times slower than on their own. After
    each module, the tables with many dead rows are vacuumed (a few milliseconds when none
    has)."""
    yield
    from django.db import connection

    if not _test_database_ready or connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock():
        if connection.in_atomic_block:  # a fixture still holds a transaction open
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(relname)"
                " FROM pg_stat_user_tables WHERE n_dead_tup > %s ORDER BY 1",
                [DEAD_ROWS_TO_VACUUM],
            )
            tables = [name for (name,) in cursor.fetchall()]
            if tables:
                cursor.execute("VACUUM " + ", ".join(tables))


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
