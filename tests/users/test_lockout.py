"""The admin login is guarded like the API's (issue 16, item 4): django-axes counts failed
logins per address and per account, in the database, for the admin form, `auth/login/` and
`auth/token/` alike; past the limit the account or address is locked out for the cool-off,
failures are logged and kept (axes' AccessFailureLog, read-only in the admin)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from apps.users.models import Role
from tests.factories.users import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def _low_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


def admin_login(email: str, password: str, address: str = "10.0.0.1"):
    return Client(REMOTE_ADDR=address).post(
        "/admin/login/?next=/admin/", {"username": email, "password": password}
    )


def token_login(email: str, password: str, address: str = "10.0.0.1"):
    return APIClient(REMOTE_ADDR=address).post(
        "/api/v1/auth/token/", {"email": email, "password": password}, format="json"
    )


@pytest.fixture
def hr_admin():
    return UserFactory(role=Role.ADMIN, email="hr@example.org")


def test_admin_login_works_and_a_wrong_password_shows_the_form_again(hr_admin):
    assert admin_login(hr_admin.email, PASSWORD).status_code == 302
    wrong = admin_login(hr_admin.email, "wrong")
    assert wrong.status_code == 200
    assert b"Please enter the correct" in wrong.content


def test_an_account_is_locked_after_the_limit_even_from_many_addresses(hr_admin, caplog):
    with caplog.at_level(logging.WARNING, logger="axes"):
        for i in range(LIMIT):
            admin_login(hr_admin.email, "wrong", address=f"10.0.1.{i}")
    assert any("login failure" in r.getMessage().lower() for r in caplog.records)

    # The right password, from a fresh address: still refused, for the cool-off.
    locked = admin_login(hr_admin.email, PASSWORD, address="10.0.9.9")
    assert locked.status_code == 429
    assert b"Locked out" in locked.content
    assert int(locked["Retry-After"]) == 15 * 60
    assert "_auth_user_id" not in locked.wsgi_request.session

    # Kept: one failure row per attempt, naming the account and the address.
    failures = AccessFailureLog.objects.filter(username=hr_admin.email)
    assert {f.ip_address for f in failures} >= {"10.0.1.0", "10.0.1.1", "10.0.1.2"}


def test_an_address_is_locked_after_the_limit_whatever_accounts_it_tries(hr_admin):
    for i in range(LIMIT):
        admin_login(f"guess{i}@example.org", "wrong", address="10.0.2.1")
    assert admin_login(hr_admin.email, PASSWORD, address="10.0.2.1").status_code == 429
    # Another address logs the same account in.
    assert admin_login(hr_admin.email, PASSWORD, address="10.0.2.2").status_code == 302


def test_the_account_counts_ignoring_case_and_spaces(hr_admin):
    for i, spelling in enumerate(["HR@example.org", " hr@EXAMPLE.org ", "Hr@Example.Org"]):
        admin_login(spelling, "wrong", address=f"10.0.3.{i}")
    assert admin_login(hr_admin.email, PASSWORD, address="10.0.3.9").status_code == 429


def test_api_and_admin_share_the_count_and_the_api_answers_a_problem(hr_admin):
    admin_login(hr_admin.email, "wrong", address="10.0.4.1")
    token_login(hr_admin.email, "wrong", address="10.0.4.2")
    assert token_login(hr_admin.email, "wrong", address="10.0.4.3").status_code in (401, 429)

    locked = token_login(hr_admin.email, PASSWORD, address="10.0.4.4")
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/problem+json"
    assert locked.json()["code"] == "locked_out"
    assert "access" not in locked.json()
    assert int(locked["Retry-After"]) > 0
    assert admin_login(hr_admin.email, PASSWORD, address="10.0.4.5").status_code == 429


def test_a_success_before_the_limit_resets_the_count(hr_admin):
    for _ in range(2):
        for i in range(LIMIT - 1):
            admin_login(hr_admin.email, "wrong", address=f"10.0.5.{i}")
        assert admin_login(hr_admin.email, PASSWORD, address="10.0.5.9").status_code == 302


def test_the_lockout_ends_after_the_cool_off(hr_admin):
    for i in range(LIMIT):
        admin_login(hr_admin.email, "wrong", address=f"10.0.6.{i}")
    assert admin_login(hr_admin.email, PASSWORD, address="10.0.6.9").status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert admin_login(hr_admin.email, PASSWORD, address="10.0.6.9").status_code == 302


def test_the_failures_are_readable_not_writable_in_the_admin(hr_admin, admin_client_):
    admin_client = admin_client_
    admin_login("someone@example.org", "wrong", address="10.0.7.1")
    page = admin_client.get("/admin/axes/accessfailurelog/")
    assert page.status_code == 200
    assert b"someone@example.org" in page.content
    assert admin_client.get("/admin/axes/accessfailurelog/add/").status_code == 403
