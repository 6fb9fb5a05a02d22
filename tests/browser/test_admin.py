"""An HR admin in a real browser: logs in to the admin, runs transitions with the buttons (a
blocked one overridden with a reason), reads the read-only logs, opens the coverage page,
imports a file of employees that a real task-queue worker checks and commits."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
from decimal import Decimal

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.business_rules.models import BusinessRule
from apps.demand.selectors import coverage_report
from apps.fsm.models import EmployeeTransitionLog
from apps.imports import services as import_services
from apps.imports.models import Import
from apps.org import services as org_services
from apps.org.models import Employee, OrgUnit
from apps.reports.weeks import week_start
from apps.users.models import Role
from tests.browser.conftest import ARTIFACTS, BASE_DIR
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.users import PASSWORD, UserFactory
from tests.imports.conftest import run_jobs

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_TIMEOUT_MS = 30_000  # a worker's start (a few seconds) plus the dry run or the commit


def log_in(page, server, email: str) -> None:
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert page.url == f"{server.url}/admin/"


def message(page) -> str:
    """The admin's messages, lower case (the admin capitalises them)."""
    return " ".join((page.locator("ul.messagelist").text_content() or "").split()).lower()


def hr_admin() -> object:
    return UserFactory(
        role=Role.ADMIN, email="hr@example.test", full_name="Hanna HR", is_superuser=True
    )


def test_employee_transition_history_and_coverage_heat_map(page, app_server):
    """The demo organisation, an HR admin's round: a transition by button, its history row,
    the coverage page. Its screenshot is artifacts/coverage.png (CI keeps it); with
    UPDATE_SCREENSHOTS=1 the README's docs/coverage.png is replaced too."""
    call_command("seed_demo", employees=120, positions=45, org_units=8, verbosity=0)
    admin = hr_admin()
    candidate = Employee.objects.filter(state="candidate").order_by("employee_number").first()
    assert candidate is not None

    log_in(page, app_server, admin.email)
    # Find the employee the way an HR admin does: the list, searched by number.
    page.click("a[href='/admin/org/employee/']")
    page.fill("#searchbar", candidate.employee_number)
    page.press("#searchbar", "Enter")
    page.click(f"#result_list a[href*='/org/employee/{candidate.pk}/change/']")
    page.wait_for_selector("svg.week-chart")  # the coming weeks: supply vs assigned

    page.click("button[name=_fsm_transition_to][value=start_onboarding]")
    page.wait_for_url(re.compile(r"/transition/start_onboarding/$"))
    page.fill("textarea[name=reason]", "Contract signed")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_url(re.compile(rf"/org/employee/{candidate.pk}/change/$"))

    assert "start_onboarding done." in message(page)
    history = page.locator("#transition_logs-group")
    history_text = history.text_content() or ""
    assert "start_onboarding" in history_text
    assert "Contract signed" in history_text
    assert admin.email in history_text
    # The history is read-only: no inputs in its rows, no way to add one.
    assert history.locator("textarea, input[type=text]").count() == 0
    log = EmployeeTransitionLog.objects.get(subject=candidate)
    assert (log.from_state, log.to_state, log.actor_id) == ("candidate", "onboarding", admin.pk)
    assert Employee.objects.get(pk=candidate.pk).state == "onboarding"

    # The coverage page, from the admin index.
    page.goto(f"{app_server.url}/admin/")
    errors_before = len(page.console_errors)
    page.click("a[href='/admin/demand/coveragereport/']")
    heatmap = page.wait_for_selector("svg.coverage-heatmap")
    assert heatmap is not None
    # The rows the selector computes for the default query: the first root unit, 12 weeks.
    first = week_start(dt.date.today())
    expected = coverage_report(
        unit=OrgUnit.objects.filter(parent=None).order_by("path")[0],
        first=first,
        last=first + dt.timedelta(weeks=11),
    )
    drawn = page.eval_on_selector_all(
        "svg.coverage-heatmap g.row", "rows => rows.map(g => Number(g.dataset.position))"
    )
    assert drawn == [row.position.pk for row in expected.rows]
    assert 0 < len(drawn) <= 60
    assert page.locator("svg.coverage-heatmap rect.cell").count() > 0
    assert page.locator("#coverage-legend li").count() == 7
    assert page.locator("#coverage-totals tbody tr").count() == 4
    assert page.locator("#coverage-worst tbody tr").count() > 0
    # The page keeps to the CSP (no inline style or script was refused).
    csp = [e for e in page.console_errors[errors_before:] if "Content Security Policy" in e]
    assert csp == []
    # The form works: a child unit and another range.
    unit = page.locator("#id_unit option").nth(1)
    page.select_option("#id_unit", value=unit.get_attribute("value"))
    page.click("#coverage-query input[type=submit]")
    page.wait_for_selector("#coverage-totals")
    assert "unit=" in page.url

    page.goto(f"{app_server.url}/admin/demand/coveragereport/")
    page.wait_for_selector("svg.coverage-heatmap")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "coverage.png"), full_page=True)
    assert (ARTIFACTS / "coverage.png").stat().st_size > 10_000
    # The README's picture: the first screen, without the navigation sidebar.
    page.click("#toggle-nav-sidebar")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "coverage-readme.png"))
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copyfile(ARTIFACTS / "coverage-readme.png", BASE_DIR / "docs" / "coverage.png")


def test_blocked_approval_overridden_with_a_reason_and_read_only_logs(page, app_server):
    admin = hr_admin()
    unit = make_unit("OPS", name="Operations")
    position = make_position(unit, code="NIGHT", title="Night shift")
    employee = make_employee(unit, employee_number="E-NIGHT")
    BusinessRule.objects.update(enabled=False)
    BusinessRule.objects.create(
        code="cap-10",
        name="At most 10 hours",
        kind="max_weekly_hours",
        params={"max_hours": "10.00"},
        severity="error",
        transitions=["approve"],
    )
    assignment = make_assignment(
        employee, position, hours="20.00", start=week_start(dt.date.today()), actor=admin
    )

    log_in(page, app_server, admin.email)
    page.goto(f"{app_server.url}/admin/assignments/assignment/{assignment.pk}/change/")
    button = page.locator("button[name=_fsm_transition_to][value=approve]")
    assert button.get_attribute("title") == "New state: approved."
    button.click()
    page.wait_for_url(re.compile(r"/transition/approve/$"))
    assert "New state: approved." in (page.text_content("#content") or "")

    # Without override the rule blocks, and says why.
    page.fill("textarea[name=reason]", "Needed this week")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_selector("ul.messagelist")
    blocked = message(page)
    assert "approve failed" in blocked
    assert "10.00 h" in blocked
    assert Assignment.objects.get(pk=assignment.pk).state == "proposed"

    # With override and a reason it passes, logged with the overridden rule.
    page.fill("textarea[name=reason]", "Agreed with the works council")
    page.check("input[name=override]")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_url(re.compile(rf"/assignments/assignment/{assignment.pk}/change/$"))
    assert "approve done." in message(page)
    assert Assignment.objects.get(pk=assignment.pk).state == "approved"
    log = AssignmentTransitionLog.objects.get(subject=assignment, transition="approve")
    assert (log.actor_id, log.reason) == (admin.pk, "Agreed with the works council")
    assert log.metadata["override"] is True
    assert [v["rule"] for v in log.metadata["overridden"]] == ["cap-10"]

    # The log in the admin: listed, opened, nothing to change or delete.
    page.goto(f"{app_server.url}/admin/assignments/assignmenttransitionlog/")
    row = page.locator("#result_list tbody tr", has_text="Agreed with the works council")
    assert row.count() == 1
    row.locator("a").first.click()
    page.wait_for_url(re.compile(r"/assignmenttransitionlog/\d+/change/$"))
    assert page.locator("textarea, input[type=text]").count() == 0
    assert page.locator("input[name=_save]").count() == 0
    assert page.locator("a.deletelink").count() == 0
    # And in the audit page, which reads every log.
    page.goto(f"{app_server.url}/admin/audit_log/auditentry/?q={log.request_id or log.hash}")
    assert "approve" in (page.locator("#result_list").text_content() or "")
    assert AssignmentTransitionLog.objects.filter(pk=log.pk, reason=log.reason).exists()
    assert Decimal(Assignment.objects.get(pk=assignment.pk).weekly_hours) == Decimal("20.00")


STAFF_CSV = (
    "employee_number,first_name,last_name,org_unit,contract_hours,hire_date\n"
    "E-IMP-1,Ann,Archer,WARD,40,2026-01-05\n"
    "E-IMP-2,Bob,Baker,NOWHERE,40,2026-01-05\n"
    "E-IMP-3,Cy,Cole,WARD,32,2026-01-05\n"
)


def cells(page, selector: str) -> list[str]:
    return [" ".join(t.split()) for t in page.locator(selector).all_text_contents()]


def test_import_of_employees_checked_then_partly_committed_by_a_real_worker(
    page, app_server, start_worker
):
    """Upload a CSV with one row in error; the page follows the dry run by itself (a real
    worker, started once the page shows the import queued), previews it at 100 %, and commits
    the valid rows."""
    admin = hr_admin()
    org_services.org_unit_create(code="WARD", name="Ward")

    log_in(page, app_server, admin.email)
    page.click("a[href='/admin/imports/import/add/']")
    page.select_option("#id_kind", value="employees")
    page.set_input_files(
        "#id_file",
        files=[{"name": "staff.csv", "mimeType": "text/csv", "buffer": STAFF_CSV.encode()}],
    )
    page.click("#import-submit")
    page.wait_for_url(re.compile(r"/admin/imports/import/\d+/change/$"))
    upload = Import.objects.get()
    assert page.url == f"{app_server.url}/admin/imports/import/{upload.pk}/change/"
    assert (upload.kind, upload.filename, upload.created_by_id) == (
        "employees",
        "staff.csv",
        admin.pk,
    )

    # No worker yet: the import waits, and the page says it follows it.
    expect(page.locator("#import-state")).to_have_attribute("data-state", "queued")
    assert page.locator("meta[http-equiv=refresh]").count() == 1
    assert "refreshes itself" in (page.text_content("#content-main") or "")
    assert page.locator("#import-confirm").count() == 0
    loads: list[str] = []
    page.on("load", lambda: loads.append(page.url))

    worker = start_worker()
    # The page reloads itself (no reload here) until the dry run is done.
    expect(page.locator("#import-state")).to_have_attribute(
        "data-state", "validated", timeout=WORKER_TIMEOUT_MS
    )
    assert loads, "the page never refreshed itself"
    assert page.locator("meta[http-equiv=refresh]").count() == 0
    assert "Validated: ready to commit" in (page.text_content("#import-state") or "")

    # What the HR admin reads: the counts, the progress at 100 %, the rows and why one fails.
    assert cells(page, "#import-counts thead th") == [
        "to create",
        "to update",
        "unchanged",
        "in error",
    ]
    assert cells(page, "#import-counts tbody td") == ["2", "0", "0", "1"]
    progress = page.locator("#import-progress")
    assert (progress.get_attribute("value"), progress.get_attribute("max")) == ("3", "3")
    assert cells(page, "#import-progress-text") == ["3 of 3 rows (100 %)"]
    assert page.locator("#import-preview tbody tr").count() == 3
    created = page.locator("#import-preview tr.import-row-create")
    assert created.count() == 2
    assert "Archer" in (created.nth(0).text_content() or "")
    assert "Cole" in (created.nth(1).text_content() or "")
    error = page.locator("#import-preview tr.import-row-error")
    assert error.count() == 1
    error_text = " ".join((error.text_content() or "").split())
    assert "E-IMP-2" in error_text
    assert "org_unit: No org unit with code 'NOWHERE'." in error_text
    expect(page.locator("#import-errors-csv")).to_be_visible()

    # The filter shows the rows in error alone.
    page.locator("#import-filters a", has_text="error").click()
    page.wait_for_url(re.compile(r"\?status=error$"))
    assert page.locator("#import-preview tbody tr").count() == 1
    assert page.locator("#import-preview tr.import-row-error").count() == 1

    # Confirm: the valid rows only, committed by the worker; the page follows it again.
    confirm = page.locator("#import-confirm")
    expect(confirm).to_have_value("Commit the valid rows")
    confirm.click()
    page.wait_for_url(re.compile(rf"/admin/imports/import/{upload.pk}/change/$"))
    assert "the commit is queued" in message(page)
    expect(page.locator("#import-state")).to_have_attribute(
        "data-state", "committed", timeout=WORKER_TIMEOUT_MS
    )
    state_text = " ".join((page.text_content("#import-state") or "").split())
    assert state_text.startswith("Committed")
    assert "committed partially" in state_text
    assert cells(page, "#import-counts thead th") == ["created", "updated", "unchanged", "in error"]
    assert cells(page, "#import-counts tbody td") == ["2", "0", "0", "1"]
    assert page.locator("#import-confirm").count() == 0
    assert page.locator("meta[http-equiv=refresh]").count() == 0

    employees = Employee.objects.filter(employee_number__startswith="E-IMP-").order_by(
        "employee_number"
    )
    assert [(e.employee_number, e.last_name, e.org_unit.code) for e in employees] == [
        ("E-IMP-1", "Archer", "WARD"),
        ("E-IMP-3", "Cole", "WARD"),
    ]
    assert Import.objects.get(pk=upload.pk).state == "committed"
    assert worker.process.poll() is None, worker.output()
    # Nothing refused by the CSP.
    assert [e for e in page.console_errors if "Content Security Policy" in e] == []


def test_the_import_preview_keeps_to_the_csp(page, app_server):
    """The preview scrolls sideways in its box (a stylesheet, not an inline style the CSP
    would refuse)."""
    admin = hr_admin()
    org_services.org_unit_create(code="WARD", name="Ward")
    upload = import_services.import_create(
        kind="employees", filename="staff.csv", content=STAFF_CSV.encode(), user=admin
    )
    run_jobs()  # the dry run, in this process

    log_in(page, app_server, admin.email)
    page.goto(f"{app_server.url}/admin/imports/import/{upload.pk}/change/")
    expect(page.locator("#import-state")).to_have_attribute("data-state", "validated")
    wrapper = page.locator("#import-preview").locator("xpath=..")
    overflow = wrapper.evaluate("e => getComputedStyle(e).overflowX")
    csp = [e for e in page.console_errors if "Content Security Policy" in e]
    assert (csp, overflow) == ([], "auto")
