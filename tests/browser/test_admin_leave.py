"""The leave calendar in a real browser: an HR admin opens it from the leave requests' list,
reads who is off which week (approved and pending hours), approves a pending request with its
button (a CSRF-protected POST through the transition path), and the page keeps to the CSP."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from apps.fsm.services import transition_apply
from apps.leave import services
from apps.leave.models import LeaveRequest, LeaveTransitionLog
from tests.browser.test_admin import hr_admin, log_in, message
from tests.factories.org import make_employee, make_unit

pytestmark = pytest.mark.django_db(transaction=True)


def test_leave_calendar_shows_the_weeks_off_and_approves_from_the_grid(page, app_server):
    admin = hr_admin()
    unit = make_unit("CAL", name="Calendar unit")
    off = make_employee(unit, last_name="Away", contract_hours=Decimal("40"))
    asks = make_employee(unit, last_name="Bauer", contract_hours=Decimal("40"))
    monday = dt.date.fromisocalendar(dt.date.today().year + 1, 9, 1)
    sunday = monday + dt.timedelta(days=6)
    approved = services.leave_request_create(
        actor=admin, employee=off, start_date=monday, end_date=sunday
    )
    transition_apply(subject=approved, transition="approve", actor=admin)
    pending = services.leave_request_create(
        actor=admin,
        employee=asks,
        start_date=monday + dt.timedelta(weeks=1),
        end_date=sunday + dt.timedelta(weeks=1),
        hours=Decimal("16"),
    )

    log_in(page, app_server, admin.email)
    page.goto(f"{app_server.url}/admin/leave/leaverequest/")
    errors_before = len(page.console_errors)
    page.click("#leave-calendar-link")
    page.wait_for_selector("#leave-query")
    page.select_option("#id_unit", value=str(unit.pk))
    page.fill("#id_from", monday.isoformat())
    page.fill("#id_to", (monday + dt.timedelta(weeks=2)).isoformat())
    page.click("#leave-query input[type=submit]")
    page.wait_for_selector("#leave-grid")

    def cell(employee, week: dt.date) -> str:
        locator = page.locator(f"tr[data-employee='{employee.pk}'] td[data-week='{week}']")
        return " ".join((locator.text_content() or "").split())

    second = monday + dt.timedelta(weeks=1)
    assert cell(off, monday) == "40 h"
    assert cell(asks, second) == "(16 h pending)"
    assert cell(off, second) == ""
    assert page.locator("#leave-pending tbody tr").count() == 1

    row = page.locator(f"#leave-pending tr[data-request='{pending.pk}']")
    row.locator("input[name=reason]").fill("Covered by the team")
    row.locator("button[value=approve]").click()
    page.wait_for_url(re.compile(r"/admin/leave/leaverequest/calendar/\?unit="))
    assert f"approve done: leave request {pending.pk}" in message(page)
    assert cell(asks, second) == "16 h"
    assert page.locator("#leave-none-pending").count() == 1

    leave = LeaveRequest.objects.get(pk=pending.pk)
    assert leave.state == "approved"
    assert leave.ledger_entry_id is not None
    log = LeaveTransitionLog.objects.get(subject=leave, transition="approve")
    assert (log.actor_id, log.reason) == (admin.pk, "Covered by the team")
    # The page's styles come from a file: nothing inline was refused by the CSP.
    csp = [e for e in page.console_errors[errors_before:] if "Content Security Policy" in e]
    assert csp == []
    assert page.locator("table.leave-grid").evaluate(
        "t => getComputedStyle(t.querySelector('td.off')).backgroundColor"
    ) not in ("", "rgba(0, 0, 0, 0)")
