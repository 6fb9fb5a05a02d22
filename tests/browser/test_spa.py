"""The SPA on another origin, in a real browser: CORS with credentials, the cookie-JWT login,
the CSRF cookie read by the page and sent back as X-CSRFToken, an assignment created and
approved, the audit log, refresh, logout, and refusal after it; and leave: an employee asks
for it, sees it pending and their balance, a manager approves it on the same page, the
employee sees it approved and the balance lower.

The SPA (tests/browser/spa/) is served from http://127.0.0.1:<port B>, the API from
http://127.0.0.1:<port A>. Cookies are scoped to a host, not to a port, so the csrftoken
cookie the API sets is the page's cookie too (document.cookie reads it); the two origins are
the same *site*, so SameSite=Lax cookies travel with `credentials: "include"`. CORS (an allowed
origin, credentials allowed) lets the page read the responses; CSRF_TRUSTED_ORIGINS lets
Django accept the page's Origin on unsafe requests.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.fsm.services import transition_apply
from apps.leave.models import LeaveEntitlement, LeaveRequest, LeaveTransitionLog
from apps.offer.models import LedgerEntry
from apps.reports.weeks import week_start
from apps.users.models import Role, User
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.users import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

RUN_TIMEOUT_MS = 30_000


def run_scenario(
    page, origin: str, api: str, *, flow: str | None = None, **fields: str
) -> dict[str, dict[str, str]]:
    """Open the SPA at `origin`, pick its scenario (`flow`; the assignment one by default),
    fill its form, run it; the steps it wrote, by name."""
    page.goto(f"{origin}/index.html?api={api}")
    assert page.input_value("#api") == api
    if flow is not None:
        page.select_option("#flow", flow)
    for name, value in fields.items():
        page.fill(f"#{name}", value)
    page.click("#run")
    page.wait_for_selector("body[data-done=true]", timeout=RUN_TIMEOUT_MS)
    steps = page.eval_on_selector_all(
        "#steps li",
        "items => items.map(li => ({step: li.dataset.step, status: li.dataset.status,"
        " ok: li.dataset.ok, text: li.textContent}))",
    )
    return {s["step"]: s for s in steps}


@pytest.fixture
def staffing():
    admin = UserFactory(role=Role.ADMIN, email="spa-admin@example.test")
    unit = make_unit("SPA", name="SPA unit")
    position = make_position(unit, code="SPA-POS", title="Front desk")
    employee = make_employee(
        unit, employee_number="E-SPA", hire_date=dt.date(2025, 1, 6), contract_hours=Decimal("40")
    )
    for name in ("start_onboarding", "activate"):
        employee, _ = transition_apply(subject=employee, transition=name, actor=admin)
    return admin, employee, position


def test_spa_on_another_origin_logs_in_works_and_logs_out(page, app_server, spa_origin, staffing):
    admin, employee, position = staffing

    steps = run_scenario(
        page,
        spa_origin.url,
        app_server.url,
        email=admin.email,
        password=PASSWORD,
        employee=employee.employee_number,
        position=position.code,
    )

    expected = {
        "csrf": "204",
        "csrf-cookie": "read",  # the API's cookie, read by the page on the other port
        "login": "200",
        "httponly": "hidden",  # the JWT cookies are not readable by the page
        "csrf-rotated": "rotated",  # login gave a new CSRF token; the page uses it
        "me": "200",
        "employee": "200",
        "position": "200",
        "create-without-csrf": "403",  # a cookie-authenticated write needs X-CSRFToken
        "create": "201",
        "approve": "200",
        "audit": "200",
        "refresh": "200",
        "me-after-refresh": "200",
        "logout": "204",
        "me-after-logout": "401",
        "refresh-after-logout": "401",
    }
    assert {name: step["status"] for name, step in steps.items()} == expected, steps
    assert all(step["ok"] == "true" for step in steps.values()), steps
    assert "csrf_failed" in steps["create-without-csrf"]["text"]
    assert "approve" in steps["audit"]["text"]

    # What the browser did is what the database holds.
    assignment = Assignment.objects.get(employee=employee, position=position)
    assert assignment.state == "approved"
    assert assignment.start_date == week_start(dt.date.today())
    log = AssignmentTransitionLog.objects.get(subject=assignment, transition="approve")
    assert (log.actor_id, log.reason) == (admin.pk, "Approved from the SPA")
    assert Assignment.objects.count() == 1  # the request without CSRF token wrote nothing
    # The cookies the browser holds: the JWT ones are gone, HttpOnly while they lived.
    cookies = {c["name"]: c for c in page.context.cookies(app_server.url)}
    assert "access_token" not in cookies
    assert "refresh_token" not in cookies
    assert cookies["csrftoken"]["domain"] == "127.0.0.1"


def test_an_origin_outside_cors_allowed_origins_gets_nothing(
    page, app_server, foreign_origin, staffing
):
    admin, employee, position = staffing

    steps = run_scenario(
        page,
        foreign_origin.url,
        app_server.url,
        email=admin.email,
        password=PASSWORD,
        employee=employee.employee_number,
        position=position.code,
    )

    # The browser hides the response from a page the API does not allow: the SPA stops there.
    assert list(steps) == ["csrf"], steps
    assert steps["csrf"]["status"] == "network-error"
    assert User.objects.get(pk=admin.pk).last_login is None
    assert not Assignment.objects.exists()


@pytest.fixture
def leave_org():
    """An employee who signs in, entitled to 80 h of vacation next year, and a manager whose
    scope is the employee's unit."""
    unit = make_unit("SPA-L", name="SPA leave unit")
    employee_user = UserFactory(role=Role.EMPLOYEE, email="spa-employee@example.test")
    manager = UserFactory(role=Role.MANAGER, email="spa-manager@example.test")
    manager.scope.add(unit)
    employee = make_employee(
        unit,
        employee_number="E-SPA-L",
        hire_date=dt.date(2025, 1, 6),
        contract_hours=Decimal("40"),
        user=employee_user,
    )
    year = dt.date.today().year + 1
    LeaveEntitlement.objects.create(employee=employee, year=year, kind="vacation", hours=80)
    return employee_user, manager, employee, year


def test_spa_employee_asks_for_leave_manager_approves_balance_drops(
    page, app_server, spa_origin, leave_org
):
    employee_user, manager, employee, year = leave_org
    monday = dt.date.fromisocalendar(year, 9, 1)  # a week of next year: ahead of today

    steps = run_scenario(
        page,
        spa_origin.url,
        app_server.url,
        flow="leave",
        email=employee_user.email,
        password=PASSWORD,
        manager=manager.email,
        manager_password=PASSWORD,
        leave_start=monday.isoformat(),
        leave_end=(monday + dt.timedelta(days=6)).isoformat(),
    )

    expected = {
        "csrf": "204",
        "employee-login": "200",
        "me": "200",
        "leave-without-csrf": "403",  # a cookie-authenticated write needs X-CSRFToken
        "leave-request": "201",
        "leave-pending": "200",
        "balance-before": "200",
        "employee-logout": "204",
        "manager-login": "200",
        "approve": "200",
        "manager-logout": "204",
        "employee-login-again": "200",
        "leave-approved": "200",
        "balance-after": "200",
        "logout": "204",
    }
    assert {name: step["status"] for name, step in steps.items()} == expected, steps
    assert all(step["ok"] == "true" for step in steps.values()), steps
    assert "requested 40.00 h" in steps["leave-request"]["text"]
    assert "entitled 80.00 requested 40.00 remaining 80.00" in steps["balance-before"]["text"]
    assert "entitled 80.00 requested 0.00 remaining 40.00" in steps["balance-after"]["text"]

    # What the browser did is what the database holds: one request, approved by the manager,
    # and the ledger's leave entry of its week.
    leave = LeaveRequest.objects.get(employee=employee)
    assert (leave.state, leave.hours, leave.created_by_id) == (
        "approved",
        Decimal("40.00"),
        employee_user.pk,
    )
    log = LeaveTransitionLog.objects.get(subject=leave, transition="approve")
    assert (log.actor_id, log.reason) == (manager.pk, "Approved from the SPA")
    entry = LedgerEntry.objects.get(pk=leave.ledger_entry_id)
    assert (entry.kind, entry.start_date, entry.hours_per_week) == (
        "leave",
        monday,
        Decimal("-40.00"),
    )
