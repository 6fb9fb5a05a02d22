"""Leave in the Django admin: the requests' list and page, asking for leave through the service,
the Approve / Reject / Cancel buttons and actions through the one transition path (the ledger
entry on approve; a rule, the role or the state refusing shows a message and changes nothing),
entitlements through the services, and the leave calendar (hours per employee and week,
approved and pending, decisions from the grid, a manager's scope, a constant query count)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.test import Client

from apps.fsm.services import transition_apply
from apps.leave import services
from apps.leave.models import LeaveEntitlement, LeaveRequest, LeaveTransitionLog
from apps.offer.models import LedgerEntry
from tests.admin_pages import form_data
from tests.factories.assignments import only_rule
from tests.factories.org import make_employee, make_unit
from tests.leave.conftest import FRIDAY, MONDAY, SUNDAY, Org

pytestmark = pytest.mark.django_db

LIST = "/admin/leave/leaverequest/"
CALENDAR = "/admin/leave/leaverequest/calendar/"
DECIDE = "/admin/leave/leaverequest/calendar/decide/"
WEEKS = {"from": "2027-03-01", "to": "2027-03-21"}  # 2027-W09 to 2027-W11


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def shown_message(response) -> str:
    """The admin's message list on the page (lower case)."""
    text = page_text(response)
    start = text.find('<ul class="messagelist">')
    assert start >= 0, "no message shown"
    return text[start : text.find("</ul>", start)].lower()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def transition_url(leave: LeaveRequest, name: str) -> str:
    return f"{LIST}{leave.pk}/transition/{name}/"


def ask(employee, actor, start=MONDAY, end=SUNDAY, **fields) -> LeaveRequest:
    return services.leave_request_create(
        actor=actor, employee=employee, start_date=start, end_date=end, **fields
    )


def cell(response, employee, week: str) -> str:
    """The text of the calendar's cell of `employee` in the week starting on `week`."""
    text = response.content.decode()
    row = re.search(rf'<tr data-employee="{employee.pk}">(.*?)</tr>', text, re.S)
    assert row, f"no row for employee {employee.pk}"
    found = re.search(rf'<td data-week="{week}"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert found, f"no cell for week {week}"
    return " ".join(re.sub(r"<[^>]+>", " ", html.unescape(found.group(1))).split())


@pytest.fixture
def staff_manager(manager_user) -> Client:
    manager_user.is_staff = True
    manager_user.save()
    return client_for(manager_user)


@pytest.fixture
def pending(org: Org, employee_user) -> LeaveRequest:
    return ask(org.employee, employee_user)


# --- list and page -----------------------------------------------------------------------------


def test_the_list_shows_requests_and_filters_and_searches(admin_client_, org, pending):
    page = admin_client_.get(LIST)

    assert page.status_code == 200
    text = page_text(page)
    assert org.employee.employee_number in text
    assert "2027-03-01" in text or "March 1, 2027" in text
    assert "40.00" in text
    assert "Requested" in text
    assert 'id="leave-calendar-link"' in text
    for query in (
        "?state__exact=requested",
        f"?q={org.employee.employee_number}",
        "?kind__exact=vacation",
    ):
        found = admin_client_.get(LIST + query)
        assert found.status_code == 200
        assert found.context["cl"].result_count == 1, query
    assert admin_client_.get(LIST + "?state__exact=approved").context["cl"].result_count == 0
    other_unit = admin_client_.get(LIST + f"?employee__org_unit__id__exact={org.unit.pk + 1000}")
    assert other_unit.status_code == 200


def test_the_page_is_read_only_with_transition_buttons_and_history(admin_client_, pending):
    page = admin_client_.get(f"{LIST}{pending.pk}/change/")

    assert page.status_code == 200
    text = page_text(page)
    buttons = re.findall(r'name="_fsm_transition_to"\s+value="(\w+)"', text)
    assert sorted(buttons) == ["approve", "cancel", "reject"]
    assert 'name="_save"' not in text  # nothing to save: the state changes by transitions only
    assert page.context["adminform"].form.fields == {}
    assert "entitled 80.00 h, approved 0.00 h, requested 40.00 h, remaining 80.00 h" in text
    assert "history" in text.lower()
    assert ">request<" in text
    assert admin_client_.get(transition_url(pending, "approve")).status_code == 200
    # A request is cancelled, never deleted.
    assert admin_client_.get(f"{LIST}{pending.pk}/delete/").status_code == 403


def test_a_post_to_the_change_page_changes_nothing(admin_client_, pending):
    url = f"{LIST}{pending.pk}/change/"
    data = {**form_data(admin_client_.get(url)), "state": "approved", "hours": "1"}

    response = admin_client_.post(url, {**data, "_save": "Save"})

    assert response.status_code == 302
    fresh = LeaveRequest.objects.get(pk=pending.pk)
    assert (fresh.state, fresh.hours) == ("requested", Decimal("40.00"))


# --- asking for leave in the admin ---------------------------------------------------------------


def test_adding_a_request_goes_through_the_service(admin_client_, admin_user, org):
    response = admin_client_.post(
        f"{LIST}add/",
        {
            "employee": org.employee.pk,
            "kind": "vacation",
            "start_date": str(MONDAY),
            "end_date": str(FRIDAY),
            "note": "spring",
        },
    )

    assert response.status_code == 302, page_text(response)[:2000]
    leave = LeaveRequest.objects.get()
    assert (leave.state, leave.hours, leave.hours_given) == ("requested", Decimal("28.57"), False)
    assert leave.created_by == admin_user
    log = LeaveTransitionLog.objects.get(subject=leave)
    assert (log.transition, log.from_state, log.to_state, log.actor) == (
        "request",
        "",
        "requested",
        admin_user,
    )


def test_adding_with_given_hours_and_refusals_as_form_errors(admin_client_, org, employee_user):
    data = {"employee": org.employee.pk, "kind": "vacation", "note": ""}
    given = admin_client_.post(
        f"{LIST}add/", {**data, "start_date": str(MONDAY), "end_date": str(FRIDAY), "hours": "16"}
    )
    assert given.status_code == 302
    assert LeaveRequest.objects.get().hours == Decimal("16.00")

    past = admin_client_.post(
        f"{LIST}add/", {**data, "start_date": "2026-01-05", "end_date": "2026-01-06"}
    )
    assert past.status_code == 200
    assert "A reason is required" in page_text(past)

    spanning = admin_client_.post(
        f"{LIST}add/", {**data, "start_date": "2027-12-30", "end_date": "2028-01-02"}
    )
    assert spanning.status_code == 200
    assert "ends in the year it starts" in page_text(spanning)
    assert LeaveRequest.objects.count() == 1


def test_an_overlap_refused_by_the_service_is_a_message_not_a_500(admin_client_, org, pending):
    response = admin_client_.post(
        f"{LIST}add/",
        {
            "employee": org.employee.pk,
            "kind": "vacation",
            "start_date": str(FRIDAY),
            "end_date": str(SUNDAY),
        },
        follow=True,
    )

    assert response.status_code == 200
    assert "already holds some of these days" in shown_message(response)
    assert LeaveRequest.objects.count() == 1


# --- decisions ---------------------------------------------------------------------------------


def test_approve_button_writes_the_ledger_entry_and_logs_the_admin(
    admin_client_, admin_user, pending
):
    response = admin_client_.post(transition_url(pending, "approve"), {"reason": "enjoy"})

    assert response.status_code == 302
    leave = LeaveRequest.objects.get(pk=pending.pk)
    assert leave.state == "approved"
    entry = LedgerEntry.objects.get(pk=leave.ledger_entry_id)
    assert (entry.kind, entry.start_date, entry.end_date) == ("leave", MONDAY, SUNDAY)
    assert entry.hours_per_week == Decimal("-40.00")
    log = LeaveTransitionLog.objects.get(subject=leave, transition="approve")
    assert (log.from_state, log.to_state, log.actor, log.reason) == (
        "requested",
        "approved",
        admin_user,
        "enjoy",
    )


def test_reject_and_cancel_actions_on_the_list(admin_client_, org, employee_user, pending):
    later = ask(
        org.employee,
        employee_user,
        start=MONDAY + dt.timedelta(weeks=2),
        end=SUNDAY + dt.timedelta(weeks=2),
    )

    rejected = admin_client_.post(
        LIST, {"action": "reject_selected", "_selected_action": [pending.pk]}, follow=True
    )
    assert "reject done" in shown_message(rejected)
    assert LeaveRequest.objects.get(pk=pending.pk).state == "rejected"

    admin_client_.post(LIST, {"action": "approve_selected", "_selected_action": [later.pk]})
    approved = LeaveRequest.objects.get(pk=later.pk)
    assert approved.state == "approved"
    assert approved.ledger_entry_id is not None

    cancelled = admin_client_.post(
        LIST, {"action": "cancel_selected", "_selected_action": [later.pk]}, follow=True
    )
    assert "cancel done" in shown_message(cancelled)
    assert LeaveRequest.objects.get(pk=later.pk).state == "cancelled"
    # The cancel reversed the approval's entry.
    assert LedgerEntry.objects.filter(reverses_id=approved.ledger_entry_id).count() == 1


def test_a_rule_violation_shows_its_message_and_changes_nothing(admin_client_, org, pending):
    only_rule("balance", "leave_balance", {})
    LeaveEntitlement.objects.filter(employee=org.employee).update(hours=Decimal("10.00"))

    response = admin_client_.post(
        transition_url(pending, "approve"), {"reason": "try"}, follow=True
    )

    assert response.status_code == 200
    message = shown_message(response)
    assert "approve failed" in message
    assert "the entitlement is 10.00 h" in message
    leave = LeaveRequest.objects.get(pk=pending.pk)
    assert (leave.state, leave.ledger_entry_id) == ("requested", None)
    assert not LedgerEntry.objects.filter(employee=org.employee, kind="leave").exists()
    assert not LeaveTransitionLog.objects.filter(subject=leave, transition="approve").exists()


def test_a_wrong_state_is_a_message_not_a_500(admin_client_, admin_user, pending):
    transition_apply(subject=pending, transition="reject", actor=admin_user)

    response = admin_client_.post(
        LIST, {"action": "approve_selected", "_selected_action": [pending.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "cannot approve from state 'rejected'" in shown_message(response)
    assert LeaveRequest.objects.get(pk=pending.pk).state == "rejected"


def test_a_manager_deciding_their_own_request_is_refused_with_a_message(
    staff_manager, manager_user, org, admin_user
):
    own = ask(make_employee(org.unit, user=manager_user), admin_user)

    response = staff_manager.post(transition_url(own, "approve"), {"reason": ""}, follow=True)

    assert response.status_code == 200
    assert "may not run this transition" in shown_message(response)
    assert LeaveRequest.objects.get(pk=own.pk).state == "requested"


# --- entitlements ------------------------------------------------------------------------------


def test_entitlements_are_written_through_the_services(admin_client_, org):
    url = "/admin/leave/leaveentitlement/"
    added = admin_client_.post(
        f"{url}add/",
        {"employee": org.employee.pk, "year": 2028, "kind": "vacation", "hours": "120", "note": ""},
    )
    assert added.status_code == 302
    entitlement = LeaveEntitlement.objects.get(year=2028)
    assert entitlement.hours == Decimal("120.00")

    duplicate = admin_client_.post(
        f"{url}add/",
        {"employee": org.employee.pk, "year": 2028, "kind": "vacation", "hours": "8", "note": ""},
    )
    assert duplicate.status_code == 200
    assert "already has an entitlement" in page_text(duplicate)

    changed = admin_client_.post(
        f"{url}{entitlement.pk}/change/",
        {"employee": org.employee.pk, "year": 2028, "kind": "vacation", "hours": "100", "note": ""},
    )
    assert changed.status_code == 302
    assert LeaveEntitlement.objects.get(pk=entitlement.pk).hours == Decimal("100.00")

    deleted = admin_client_.post(f"{url}{entitlement.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302
    assert not LeaveEntitlement.objects.filter(pk=entitlement.pk).exists()


def test_the_leave_log_is_read_only(admin_client_, pending):
    url = "/admin/leave/leavetransitionlog/"
    log = LeaveTransitionLog.objects.get(subject=pending)

    assert admin_client_.get(url).status_code == 200
    assert admin_client_.get(f"{url}{log.pk}/change/").status_code == 200
    assert admin_client_.get(f"{url}add/").status_code == 403
    assert admin_client_.post(f"{url}{log.pk}/delete/", {"post": "yes"}).status_code == 403
    assert LeaveTransitionLog.objects.filter(pk=log.pk).exists()


# --- the calendar ------------------------------------------------------------------------------


@pytest.fixture
def calendar_org(org: Org, admin_user, employee_user):
    """Two employees: the first with a week of approved leave in W09 and a pending one from
    Thursday of W10 to Wednesday of W11 (28 h over 7 days: 16 h and 12 h); the second with
    nothing."""
    approved = ask(org.employee, employee_user)
    transition_apply(subject=approved, transition="approve", actor=admin_user)
    thursday = MONDAY + dt.timedelta(weeks=1, days=3)
    spanning = ask(
        org.employee,
        employee_user,
        start=thursday,
        end=thursday + dt.timedelta(days=6),
        hours=Decimal("28"),
    )
    idle = make_employee(org.unit, last_name="Zeta")
    return org, approved, spanning, idle


def test_the_calendar_shows_approved_and_pending_hours_in_their_weeks(admin_client_, calendar_org):
    org, _approved, spanning, idle = calendar_org

    page = admin_client_.get(CALENDAR, {"unit": org.unit.pk, **WEEKS})

    assert page.status_code == 200
    assert list(page.context["week_labels"]) == ["2027-W09", "2027-W10", "2027-W11"]
    assert cell(page, org.employee, "2027-03-01") == "40 h"
    assert cell(page, org.employee, "2027-03-08") == "(16 h pending)"
    assert cell(page, org.employee, "2027-03-15") == "(12 h pending)"
    for week in ("2027-03-01", "2027-03-08", "2027-03-15"):
        assert cell(page, idle, week) == ""
    pending_rows = re.findall(r'<tr data-request="(\d+)">', page.content.decode())
    assert pending_rows == [str(spanning.pk)]
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    assert "calendar.css" in page.content.decode()  # styles from a file: the CSP allows no inline


def test_the_calendar_defaults_to_twelve_weeks_from_this_week(admin_client_, calendar_org):
    page = admin_client_.get(CALENDAR)

    assert page.status_code == 200
    assert len(page.context["calendar"].weeks) == 12
    assert page.context["calendar"].weeks[0] == dt.date.today() - dt.timedelta(
        days=dt.date.today().weekday()
    )


def test_approve_and_reject_from_the_calendar(
    admin_client_, admin_user, calendar_org, employee_user
):
    org, _, spanning, _ = calendar_org
    query = f"unit={org.unit.pk}&from={WEEKS['from']}&to={WEEKS['to']}"

    response = admin_client_.post(
        DECIDE, {"request": spanning.pk, "transition": "approve", "reason": "ok", "query": query}
    )

    assert response.status_code == 302
    assert response["Location"] == f"{CALENDAR}?{query}"
    leave = LeaveRequest.objects.get(pk=spanning.pk)
    assert leave.state == "approved"
    assert LedgerEntry.objects.get(pk=leave.ledger_entry_id).kind == "leave"
    log = LeaveTransitionLog.objects.get(subject=leave, transition="approve")
    assert (log.actor, log.reason) == (admin_user, "ok")
    page = admin_client_.get(CALENDAR, {"unit": org.unit.pk, **WEEKS})
    assert cell(page, org.employee, "2027-03-08") == "16 h"

    other = ask(org.employee, employee_user, start=dt.date(2027, 6, 7), end=dt.date(2027, 6, 8))
    admin_client_.post(DECIDE, {"request": other.pk, "transition": "reject", "query": query})
    assert LeaveRequest.objects.get(pk=other.pk).state == "rejected"


def test_a_refused_decision_on_the_calendar_is_a_message(admin_client_, calendar_org):
    org, approved, spanning, _ = calendar_org
    only_rule("balance", "leave_balance", {})  # 40 approved + 28 > 60
    LeaveEntitlement.objects.filter(employee=org.employee).update(hours=Decimal("60.00"))

    refused = admin_client_.post(
        DECIDE, {"request": spanning.pk, "transition": "approve"}, follow=True
    )
    assert "approve failed" in shown_message(refused)
    assert LeaveRequest.objects.get(pk=spanning.pk).state == "requested"

    wrong_state = admin_client_.post(
        DECIDE, {"request": approved.pk, "transition": "reject"}, follow=True
    )
    assert "cannot reject from state 'approved'" in shown_message(wrong_state)
    unknown = admin_client_.post(
        DECIDE, {"request": spanning.pk, "transition": "cancel"}, follow=True
    )
    assert "unknown decision" in shown_message(unknown)
    assert admin_client_.get(DECIDE).status_code == 405
    assert LeaveRequest.objects.get(pk=approved.pk).state == "approved"


def test_a_manager_sees_only_their_scope(staff_manager, admin_client_, calendar_org, admin_user):
    org, _, spanning, _ = calendar_org
    elsewhere = make_unit("AWAY", name="Elsewhere")
    stranger = make_employee(elsewhere, last_name="Stranger")
    theirs = ask(stranger, admin_user)

    listed = staff_manager.get(LIST)
    assert listed.status_code == 200
    shown = {leave.pk for leave in listed.context["cl"].result_list}
    assert theirs.pk not in shown
    assert spanning.pk in shown
    assert staff_manager.get(f"{LIST}{theirs.pk}/change/").status_code == 302  # "does not exist"

    page = staff_manager.get(CALENDAR, {"unit": org.unit.pk, **WEEKS})
    assert page.status_code == 200
    assert [u.pk for u in page.context["form"].fields["unit"].queryset] == [org.unit.pk]
    refused = staff_manager.get(CALENDAR, {"unit": elsewhere.pk, **WEEKS})
    assert "calendar" not in refused.context or refused.context.get("calendar") is None
    assert refused.context["form"].errors["unit"]

    decided = staff_manager.post(
        DECIDE, {"request": theirs.pk, "transition": "approve"}, follow=True
    )
    assert "not in your scope" in shown_message(decided)
    assert LeaveRequest.objects.get(pk=theirs.pk).state == "requested"
    staff_manager.post(DECIDE, {"request": spanning.pk, "transition": "approve"})
    assert LeaveRequest.objects.get(pk=spanning.pk).state == "approved"
    # Adding and entitlements' writes stay with HR admins.
    assert staff_manager.get(f"{LIST}add/").status_code == 403
    assert staff_manager.get("/admin/leave/leaveentitlement/").status_code == 200
    assert staff_manager.get("/admin/leave/leaveentitlement/add/").status_code == 403


def test_the_calendar_is_for_staff_only(employee_user, manager_user, calendar_org):
    assert client_for(employee_user).get(CALENDAR).status_code == 302  # to the admin's login
    assert client_for(manager_user).get(CALENDAR).status_code == 302  # not staff


@pytest.mark.parametrize("employees", [3, 30])
def test_the_calendar_query_count_does_not_grow_with_employees(
    admin_client_, org, admin_user, employees, django_assert_max_num_queries
):
    for n in range(employees):
        employee = make_employee(org.unit)
        shift = dt.timedelta(weeks=n % 3)
        leave = ask(employee, admin_user, start=MONDAY + shift, end=SUNDAY + shift)
        if n % 2:
            transition_apply(subject=leave, transition="approve", actor=admin_user)

    # The same bound at both sizes: session and user; the unit (form), the units (its
    # select); the employees; their requests.
    with django_assert_max_num_queries(7):
        page = admin_client_.get(CALENDAR, {"unit": org.unit.pk, **WEEKS})

    assert page.status_code == 200
    assert len(page.context["calendar"].rows) == employees + 1
    assert len(page.context["calendar"].pending) == employees - employees // 2
