"""leave-requests/ through the API, per role and transition (DESIGN §11): who may ask, see,
approve, reject and cancel; the ledger entry an approval writes and a cancellation reverses;
the hours a leave takes; the dates it may not cover; balances, entitlements, the outbox and the
audit log; and what terminating the employee does to their leave."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit_log.verification import verify_all
from apps.calendars.services import calendar_create, calendar_day_create
from apps.events.models import Event
from apps.fsm.services import transition_apply
from apps.leave.models import LeaveEntitlement, LeaveRequest, LeaveTransitionLog
from apps.leave.services import leave_request_create
from apps.offer.models import LedgerEntry
from apps.org.services import contract_hours_add, employee_update, org_unit_update
from tests.factories.org import make_employee
from tests.leave.conftest import (
    ENTITLEMENTS,
    FRIDAY,
    LEAVE,
    MONDAY,
    NEXT_MONDAY,
    SATURDAY,
    SUNDAY,
    ask,
    asked,
    day,
    problem,
    ran,
    run,
    table_counts,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def ledger_rows(client, employee) -> list[dict]:
    response = client.get("/api/v1/hours-ledger/", {"employee": employee.pk})
    assert response.status_code == 200, response.content
    return sorted(response.json()["results"], key=lambda row: row["id"])


@pytest.fixture
def past_approved(org, as_admin) -> dict:
    """An approved leave of the employee that started a week ago (recorded by an HR admin)."""
    body = asked(
        as_admin,
        TODAY - dt.timedelta(days=7),
        TODAY + dt.timedelta(days=3),
        employee=org.employee.pk,
        reason="Recorded late",
    )
    return ran(as_admin, body["id"], "approve")


# --- employees ---------------------------------------------------------------------------------


def test_employee_asks_for_own_leave_without_naming_themselves(org, as_employee, employee_user):
    body = asked(as_employee, note="Holiday")
    assert body["employee"] == org.employee.pk
    assert body["state"] == "requested"
    assert body["kind"] == "vacation"
    assert body["hours"] == "40.00"
    assert body["hours_given"] is False
    assert body["ledger_entry"] is None
    assert body["note"] == "Holiday"
    log = LeaveTransitionLog.objects.get(subject_id=body["id"])
    assert (log.transition, log.from_state, log.to_state) == ("request", "", "requested")
    assert log.actor == employee_user
    assert LeaveRequest.objects.get(pk=body["id"]).created_by == employee_user


def test_employee_naming_another_employee_is_400_like_an_unknown_id(org, as_employee):
    other = problem(ask(as_employee, employee=org.outsider.pk), 400, "invalid")
    unknown = problem(ask(as_employee, employee=999_999), 400, "invalid")
    assert set(other["errors"]) == set(unknown["errors"]) == {"employee"}
    assert other["errors"]["employee"][0].replace(str(org.outsider.pk), "N") == unknown["errors"][
        "employee"
    ][0].replace("999999", "N")
    assert not LeaveRequest.objects.exists()


def test_a_user_without_an_employee_must_name_one(org, as_admin):
    body = problem(ask(as_admin), 400)
    assert "employee" in body["errors"]


def test_employee_lists_only_own_requests(org, as_employee, as_admin):
    own = asked(as_employee)
    other = asked(as_admin, employee=org.outsider.pk)
    assert ids(as_employee.get(LEAVE)) == [own["id"]]
    assert set(ids(as_admin.get(LEAVE))) == {own["id"], other["id"]}
    problem(as_employee.get(f"{LEAVE}{other['id']}/"), 404)
    problem(as_employee.get(f"{LEAVE}{other['id']}/history/"), 404)
    problem(run(as_employee, other["id"], "cancel"), 404)


def test_employee_cancels_own_requested_leave(org, as_employee):
    body = asked(as_employee)
    detail = as_employee.get(f"{LEAVE}{body['id']}/").json()
    assert detail["available_transitions"] == [{"name": "cancel", "target": "cancelled"}]
    assert ran(as_employee, body["id"], "cancel")["state"] == "cancelled"
    assert not LedgerEntry.objects.exists()


def test_employee_cancels_own_approved_leave_before_it_starts(org, as_employee, as_manager):
    body = asked(as_employee)
    ran(as_manager, body["id"], "approve")
    assert ran(as_employee, body["id"], "cancel")["state"] == "cancelled"
    entries = ledger_rows(as_manager, org.employee)
    assert [(e["kind"], e["hours_per_week"]) for e in entries] == [
        ("leave", "-40.00"),
        ("correction", "40.00"),
    ]


def test_employee_cannot_cancel_leave_that_has_started(org, as_employee, past_approved):
    problem(run(as_employee, past_approved["id"], "cancel"), 403)
    assert LeaveRequest.objects.get(pk=past_approved["id"]).state == "approved"
    assert as_employee.get(f"{LEAVE}{past_approved['id']}/").json()["available_transitions"] == []


@pytest.mark.parametrize("transition", ["approve", "reject"])
def test_employee_cannot_decide_own_leave(org, as_employee, transition):
    body = asked(as_employee)
    problem(run(as_employee, body["id"], transition), 403)
    assert LeaveRequest.objects.get(pk=body["id"]).state == "requested"
    assert LeaveTransitionLog.objects.filter(subject_id=body["id"]).count() == 1


# --- managers ----------------------------------------------------------------------------------


def test_manager_approves_rejects_and_cancels_in_scope(org, as_employee, as_manager):
    first = asked(as_employee)
    second = asked(as_employee, NEXT_MONDAY, NEXT_MONDAY + dt.timedelta(days=6))
    third = asked(as_manager, MONDAY + dt.timedelta(days=14), MONDAY + dt.timedelta(days=15),
                  employee=org.employee.pk)  # fmt: skip
    detail = as_manager.get(f"{LEAVE}{first['id']}/").json()
    assert {t["name"] for t in detail["available_transitions"]} == {"approve", "reject", "cancel"}
    assert ran(as_manager, first["id"], "approve")["state"] == "approved"
    assert ran(as_manager, second["id"], "reject", reason="Busy week")["state"] == "rejected"
    assert ran(as_manager, third["id"], "cancel")["state"] == "cancelled"
    assert ran(as_manager, first["id"], "cancel")["state"] == "cancelled"
    rows = LeaveTransitionLog.objects.filter(subject_id=second["id"], transition="reject")
    assert rows.get().reason == "Busy week"


def test_manager_cannot_see_or_decide_leave_outside_scope(org, as_admin, as_manager):
    body = asked(as_admin, employee=org.outsider.pk)
    assert body["id"] not in ids(as_manager.get(LEAVE))
    problem(as_manager.get(f"{LEAVE}{body['id']}/"), 404)
    problem(run(as_manager, body["id"], "approve"), 404)
    problem(ask(as_manager, employee=org.outsider.pk), 400, "invalid")
    assert LeaveRequest.objects.get(pk=body["id"]).state == "requested"


def test_manager_cannot_approve_own_leave(org, as_manager, manager_user):
    mine = make_employee(org.unit, user=manager_user)
    body = asked(as_manager)
    assert body["employee"] == mine.pk
    assert as_manager.get(f"{LEAVE}{body['id']}/").json()["available_transitions"] == [
        {"name": "cancel", "target": "cancelled"}
    ]
    problem(run(as_manager, body["id"], "approve"), 403)
    problem(run(as_manager, body["id"], "reject"), 403)
    assert LeaveRequest.objects.get(pk=body["id"]).state == "requested"


# --- admins and auditors -----------------------------------------------------------------------


def test_admin_asks_for_anyone_and_decides_everything(org, as_admin, admin_user):
    body = asked(as_admin, employee=org.outsider.pk, kind="sick")
    assert (body["employee"], body["kind"]) == (org.outsider.pk, "sick")
    approved = ran(as_admin, body["id"], "approve")
    assert approved["state"] == "approved"
    assert approved["available_transitions"] == [{"name": "cancel", "target": "cancelled"}]
    other = asked(as_admin, employee=org.employee.pk)
    assert ran(as_admin, other["id"], "reject")["state"] == "rejected"
    assert ran(as_admin, body["id"], "cancel")["state"] == "cancelled"
    assert LeaveTransitionLog.objects.filter(actor=admin_user).count() == 5


def test_auditor_reads_but_changes_nothing(org, as_employee, as_auditor):
    body = asked(as_employee)
    assert ids(as_auditor.get(LEAVE)) == [body["id"]]
    detail = as_auditor.get(f"{LEAVE}{body['id']}/")
    assert detail.status_code == 200
    assert detail.json()["available_transitions"] == []
    history = as_auditor.get(f"{LEAVE}{body['id']}/history/")
    assert history.status_code == 200
    assert "request" in [row["transition"] for row in history.json()["results"]]
    problem(ask(as_auditor, employee=org.employee.pk), 403)
    problem(run(as_auditor, body["id"], "approve"), 403)
    problem(as_auditor.post(f"{LEAVE}simulate/", {"request": body["id"]}, format="json"), 403)
    assert LeaveRequest.objects.get(pk=body["id"]).state == "requested"
    assert LeaveRequest.objects.count() == 1


def test_no_update_or_delete_of_a_request(org, as_admin):
    body = asked(as_admin, employee=org.employee.pk)
    assert as_admin.patch(f"{LEAVE}{body['id']}/", {"hours": "1"}, format="json").status_code == 405
    assert as_admin.delete(f"{LEAVE}{body['id']}/").status_code == 405
    assert LeaveRequest.objects.get(pk=body["id"]).hours == Decimal("40.00")


# --- transitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "transition"),
    [
        (["approve"], "approve"),
        (["approve"], "reject"),
        (["reject"], "approve"),
        (["reject"], "cancel"),
        (["cancel"], "cancel"),
        (["cancel"], "approve"),
    ],
)
def test_transition_not_available_from_the_state_is_409(org, as_admin, path, transition):
    body = asked(as_admin, employee=org.employee.pk)
    for name in path:
        state = ran(as_admin, body["id"], name)["state"]
    answer = problem(run(as_admin, body["id"], transition), 409, "transition_not_allowed")
    assert answer["current_state"] == state
    assert LeaveTransitionLog.objects.filter(subject_id=body["id"]).count() == 1 + len(path)


def test_unknown_transition_is_400(org, as_admin):
    # A field error: the problem's code is `invalid`, the field's message names the known ones.
    body = asked(as_admin, employee=org.employee.pk)
    for name in ("archive", "terminate"):
        answer = problem(run(as_admin, body["id"], name), 400, "invalid")
        assert "approve" in answer["errors"]["transition"][0]
    assert LeaveRequest.objects.get(pk=body["id"]).state == "requested"


# --- the ledger and supply ---------------------------------------------------------------------


def test_approve_writes_the_leave_entry_and_supply_loses_it(org, as_employee, as_manager):
    body = asked(as_employee)
    approved = ran(as_manager, body["id"], "approve")
    (entry,) = ledger_rows(as_manager, org.employee)
    assert approved["ledger_entry"] == entry["id"]
    assert as_employee.get(f"{LEAVE}{body['id']}/").json()["ledger_entry"] == entry["id"]
    assert entry["kind"] == "leave"
    assert entry["hours_per_week"] == "-40.00"
    assert (entry["start_date"], entry["end_date"]) == (day(MONDAY), day(SUNDAY))
    assert str(body["id"]) in entry["note"]
    supply = as_employee.get(
        "/api/v1/supply/",
        {"employee": org.employee.pk, "from": day(MONDAY), "to": day(NEXT_MONDAY)},
    )
    assert supply.status_code == 200, supply.content
    rows = {row["week"]: row for row in supply.json()["results"]}
    assert (rows["2027-W09"]["contract"], rows["2027-W09"]["ledger"]) == ("40.00", "-40.00")
    assert rows["2027-W09"]["supply"] == "0.00"
    assert (rows["2027-W10"]["ledger"], rows["2027-W10"]["supply"]) == ("0.00", "40.00")


def test_cancel_of_approved_leave_writes_the_reversing_entry(org, as_manager):
    body = asked(as_manager, employee=org.employee.pk)
    entry = ran(as_manager, body["id"], "approve")["ledger_entry"]
    ran(as_manager, body["id"], "cancel")
    rows = ledger_rows(as_manager, org.employee)
    assert len(rows) == 2
    correction = rows[1]
    assert correction["kind"] == "correction"
    assert correction["reverses"] == entry
    assert correction["hours_per_week"] == "40.00"
    assert (correction["start_date"], correction["end_date"]) == (day(MONDAY), day(SUNDAY))
    supply = as_manager.get(
        "/api/v1/supply/", {"employee": org.employee.pk, "from": day(MONDAY), "to": day(SUNDAY)}
    ).json()["results"]
    assert [(row["ledger"], row["supply"]) for row in supply] == [("0.00", "40.00")]


@pytest.mark.parametrize("transition", ["cancel", "reject"])
def test_undecided_leave_ending_writes_no_ledger_entry(org, as_manager, transition):
    body = asked(as_manager, employee=org.employee.pk)
    assert ran(as_manager, body["id"], transition)["ledger_entry"] is None
    assert ledger_rows(as_manager, org.employee) == []


# --- hours -------------------------------------------------------------------------------------


@pytest.fixture
def office(org):
    """A Monday-to-Friday 8 h calendar on the employee's unit."""
    week = [Decimal(8)] * 5 + [Decimal(0)] * 2
    calendar = calendar_create(code="office", name="Office", week_hours=week)
    org_unit_update(unit=org.unit, calendar=calendar)
    return calendar


@pytest.mark.parametrize(("end", "hours"), [(SUNDAY, "40.00"), (FRIDAY, "28.57")])
def test_hours_without_a_calendar_are_a_seventh_of_the_contract_a_day(org, as_employee, end, hours):
    assert asked(as_employee, MONDAY, end)["hours"] == hours


@pytest.mark.parametrize(("end", "hours"), [(SUNDAY, "40.00"), (FRIDAY, "40.00"), (MONDAY, "8.00")])
def test_hours_follow_the_calendar(org, office, as_employee, end, hours):
    assert asked(as_employee, MONDAY, end)["hours"] == hours


def test_a_public_holiday_inside_the_leave_costs_nothing(org, office, as_employee, as_manager):
    calendar_day_create(calendar=office, date=MONDAY + dt.timedelta(days=2), name="Holiday")
    body = asked(as_employee, MONDAY, FRIDAY)
    assert body["hours"] == "32.00"
    ran(as_manager, body["id"], "approve")
    (entry,) = ledger_rows(as_manager, org.employee)
    # The contract's own rate over the days: 32 h are what it delivers there.
    assert entry["hours_per_week"] == "-40.00"
    assert (
        as_employee.get(
            f"/api/v1/employees/{org.employee.pk}/leave-balance/", {"year": 2027}
        ).json()["approved"]
        == "32.00"
    )


@pytest.mark.parametrize(
    ("end", "hours", "rate"),
    [
        (SUNDAY, "20.00", "-20.00"),  # weight 7
        (FRIDAY, "10.00", "-14.00"),  # weight 5: 10 × 7 / 5
        (MONDAY, "8.00", "-56.00"),  # weight 1
    ],
)
def test_given_hours_are_kept_and_the_ledger_rate_takes_exactly_them(
    org, as_employee, as_manager, end, hours, rate
):
    body = asked(as_employee, MONDAY, end, hours=hours)
    assert (body["hours"], body["hours_given"]) == (hours, True)
    ran(as_manager, body["id"], "approve")
    (entry,) = ledger_rows(as_manager, org.employee)
    assert entry["hours_per_week"] == rate


def test_given_hours_with_a_calendar_weigh_by_its_hours(org, office, as_employee, as_manager):
    # Monday and Tuesday hold 16 of the week's 40 h: weight 7 × 16 / 40 = 2.8.
    body = asked(as_employee, MONDAY, MONDAY + dt.timedelta(days=1), hours="14.00")
    assert (body["hours"], body["hours_given"]) == ("14.00", True)
    ran(as_manager, body["id"], "approve")
    assert ledger_rows(as_manager, org.employee)[0]["hours_per_week"] == "-35.00"


def test_hours_that_do_not_fit_in_the_days_are_422(org, as_employee):
    body = problem(ask(as_employee, MONDAY, MONDAY, hours="30"), 422, "too_many_hours")
    assert body["max_hours"] == "24.00"
    assert not LeaveRequest.objects.exists()


def test_weekend_leave_on_a_weekday_calendar_is_422(org, office, as_employee):
    problem(ask(as_employee, SATURDAY, SUNDAY), 422, "no_working_hours")
    problem(ask(as_employee, SATURDAY, SUNDAY, hours="4"), 422, "no_working_hours")
    assert not LeaveRequest.objects.exists()


# --- overlaps and dates ------------------------------------------------------------------------


@pytest.mark.parametrize("decide", [None, "approve"])
def test_overlapping_an_open_request_is_409_naming_it(org, as_employee, as_manager, decide):
    first = asked(as_employee)
    if decide:
        ran(as_manager, first["id"], decide)
    body = problem(ask(as_employee, FRIDAY, NEXT_MONDAY), 409, "leave_overlap")
    assert body["conflicting_request"] == first["id"]
    assert LeaveRequest.objects.count() == 1


@pytest.mark.parametrize("decide", ["reject", "cancel"])
def test_overlapping_a_closed_request_is_fine(org, as_employee, as_manager, decide):
    first = asked(as_employee)
    ran(as_manager, first["id"], decide)
    assert asked(as_employee, FRIDAY, NEXT_MONDAY)["state"] == "requested"


def test_leave_of_another_employee_on_the_same_days_is_fine(org, as_admin):
    asked(as_admin, employee=org.employee.pk)
    asked(as_admin, employee=org.outsider.pk)


def test_a_termination_date_set_after_the_request_stops_its_approval(org, as_employee, as_manager):
    pk = asked(as_employee)["id"]
    employee_update(employee=org.employee, termination_date=MONDAY + dt.timedelta(days=2))
    before = table_counts()
    problem(run(as_manager, pk, "approve"), 422, "across_termination")
    assert table_counts() == before
    assert as_manager.get(f"{LEAVE}{pk}/").json()["state"] == "requested"


def test_leave_across_the_termination_date_is_422(org, as_employee):
    employee_update(employee=org.employee, termination_date=MONDAY + dt.timedelta(days=2))
    body = problem(ask(as_employee), 422, "across_termination")
    assert body["termination_date"] == "2027-03-03"
    assert asked(as_employee, MONDAY, MONDAY + dt.timedelta(days=2))["hours"] == "17.14"


def test_leave_before_the_hire_date_is_422(org, as_admin):
    newcomer = make_employee(org.unit, hire_date=dt.date(2027, 3, 3))
    body = problem(ask(as_admin, employee=newcomer.pk), 422, "outside_employment")
    assert body["hire_date"] == "2027-03-03"


def test_leave_across_two_years_is_422(org, as_employee):
    problem(ask(as_employee, dt.date(2027, 12, 27), dt.date(2028, 1, 2)), 422, "leave_spans_years")
    assert not LeaveRequest.objects.exists()


# --- the past ----------------------------------------------------------------------------------

PAST = (TODAY - dt.timedelta(days=3), TODAY + dt.timedelta(days=1))


@pytest.mark.parametrize("client", ["as_employee", "as_manager"])
def test_past_leave_is_for_hr_admins_only(org, request, client):
    caller = request.getfixturevalue(client)
    problem(ask(caller, *PAST, employee=org.employee.pk, reason="Forgot"), 403,
            "past_leave_admin_only")  # fmt: skip
    assert not LeaveRequest.objects.exists()


def test_past_leave_needs_a_reason(org, as_admin):
    # A field error (code `invalid`, like every problem with `errors`), on `reason`.
    for reason in ("", "  "):
        body = problem(ask(as_admin, *PAST, employee=org.employee.pk, reason=reason), 400)
        assert body["code"] == "invalid"
        assert "reason" in body["errors"]
    assert not LeaveRequest.objects.exists()


def test_past_leave_with_a_reason_is_recorded_and_the_reason_logged(org, as_admin):
    body = asked(as_admin, *PAST, employee=org.employee.pk, reason="Sick note came late")
    history = as_admin.get(f"{LEAVE}{body['id']}/history/").json()["results"]
    (row,) = [row for row in history if row["transition"] == "request"]
    assert row["reason"] == "Sick note came late"
    assert row["to_state"] == "requested"


def test_leave_starting_today_is_not_the_past(org, as_employee):
    assert asked(as_employee, TODAY, TODAY + dt.timedelta(days=1))["state"] == "requested"


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payload",
    [
        {"start_date": "2027-03-05", "end_date": "2027-03-01"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "kind": "sabbatical"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "state": "approved"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "ledger_entry": 1},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "hours": "0"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "hours": "-8"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "hours": "abc"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "hours": "1e400"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "hours": "99999"},
        {"start_date": "2027-02-30", "end_date": "2027-03-07"},
        {"start_date": "2027-03-01"},
        {"start_date": None, "end_date": "2027-03-07"},
        {"start_date": "9999-01-01", "end_date": "9999-01-02"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "employee": "me"},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "employee": [1]},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "note": {"a": 1}},
        {"start_date": "2027-03-01", "end_date": "2027-03-07", "reason": "x" * 2001},
        [],
        "leave",
    ],
)
def test_bad_input_is_400(org, as_employee, payload):
    response = as_employee.post(LEAVE, payload, format="json")
    body = problem(response, 400)
    assert body["code"] in {"invalid", "unknown_field", "end_before_start", "date_out_of_range"}
    assert not LeaveRequest.objects.exists()


def test_end_before_start_names_the_end_date(org, as_employee):
    body = problem(ask(as_employee, FRIDAY, MONDAY), 400)
    assert "end_date" in body["errors"]


def test_unknown_field_is_named(org, as_employee):
    body = problem(ask(as_employee, colour="blue"), 400)
    assert "colour" in body["errors"]


@pytest.mark.parametrize(
    "body", [{}, {"transition": ""}, {"transition": 5}, {"transition": "approve", "x": 1}]
)
def test_bad_transition_bodies_are_400(org, as_admin, body):
    pk = asked(as_admin, employee=org.employee.pk)["id"]
    problem(as_admin.post(f"{LEAVE}{pk}/transitions/", body, format="json"), 400)
    assert LeaveRequest.objects.get(pk=pk).state == "requested"


def test_malformed_filters_and_ids_are_not_500(org, as_admin):
    asked(as_admin, employee=org.employee.pk)
    assert as_admin.get(LEAVE, {"state": "nope"}).status_code == 400
    assert as_admin.get(LEAVE, {"from": "yesterday"}).status_code == 400
    assert as_admin.get(LEAVE, {"employee": "x"}).status_code == 400
    assert as_admin.get(f"{LEAVE}abc/").status_code == 404
    assert as_admin.get(LEAVE, {"state": "requested"}).json()["count"] == 1
    assert as_admin.get(LEAVE, {"from": "2027-03-08"}).json()["count"] == 0


# --- balances ----------------------------------------------------------------------------------


def balance_url(employee) -> str:
    return f"/api/v1/employees/{employee.pk}/leave-balance/"


def test_balance_counts_approved_and_requested_leave(org, as_employee, as_manager):
    approved = asked(as_employee)
    ran(as_manager, approved["id"], "approve")
    asked(as_employee, NEXT_MONDAY, NEXT_MONDAY + dt.timedelta(days=2))  # 17.14 h requested
    rejected = asked(as_employee, MONDAY + dt.timedelta(days=21), MONDAY + dt.timedelta(days=27))
    ran(as_manager, rejected["id"], "reject")
    asked(as_employee, MONDAY + dt.timedelta(days=35), MONDAY + dt.timedelta(days=35), kind="sick")
    response = as_employee.get(balance_url(org.employee), {"year": 2027})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["employee"] == org.employee.pk
    assert (body["year"], body["kind"]) == (2027, "vacation")
    assert (body["entitled"], body["approved"], body["requested"], body["remaining"]) == (
        "80.00",
        "40.00",
        "17.14",
        "40.00",
    )
    kinds = {row["kind"]: row for row in body["kinds"]}
    assert set(kinds) == {"vacation", "sick", "unpaid", "other"}
    assert kinds["sick"] == {
        "kind": "sick",
        "entitled": "0.00",
        "approved": "0.00",
        "requested": "5.71",
        "remaining": "0.00",
    }
    sick = as_employee.get(balance_url(org.employee), {"year": 2027, "kind": "sick"}).json()
    assert (sick["kind"], sick["requested"]) == ("sick", "5.71")


def test_balance_of_another_year_is_empty(org, as_employee):
    body = as_employee.get(balance_url(org.employee), {"year": 2028}).json()
    assert (body["entitled"], body["remaining"]) == ("0.00", "0.00")


def test_balance_defaults_to_this_year(org, as_employee, as_admin):
    LeaveEntitlement.objects.create(employee=org.employee, year=2026, kind="vacation", hours=24)
    body = as_employee.get(balance_url(org.employee)).json()
    assert (body["year"], body["entitled"]) == (TODAY.year, "24.00")


def test_balance_is_seen_by_who_sees_the_employee(org, as_employee, as_manager, as_auditor):
    problem(as_employee.get(balance_url(org.outsider)), 404)
    problem(as_manager.get(balance_url(org.outsider)), 404)
    assert as_manager.get(balance_url(org.employee)).status_code == 200
    assert as_auditor.get(balance_url(org.outsider)).status_code == 200


@pytest.mark.parametrize(
    "query", [{"year": "x"}, {"year": 1066}, {"kind": "sabbatical"}, {"colour": "blue"}]
)
def test_bad_balance_query_is_400(org, as_employee, query):
    problem(as_employee.get(balance_url(org.employee), query), 400)


# --- entitlements ------------------------------------------------------------------------------


def test_admin_creates_changes_and_deletes_entitlements(org, as_admin):
    payload = {"employee": org.outsider.pk, "year": 2027, "kind": "vacation", "hours": "120"}
    created = as_admin.post(ENTITLEMENTS, payload, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["hours"] == "120.00"
    changed = as_admin.patch(f"{ENTITLEMENTS}{pk}/", {"hours": "96"}, format="json")
    assert changed.status_code == 200, changed.content
    assert as_admin.get(f"{ENTITLEMENTS}{pk}/").json()["hours"] == "96.00"
    balance = as_admin.get(balance_url(org.outsider), {"year": 2027}).json()
    assert balance["entitled"] == "96.00"
    history = as_admin.get(f"{ENTITLEMENTS}{pk}/history/")
    assert history.status_code == 200, history.content
    assert len(history.json()["results"]) >= 2
    assert as_admin.delete(f"{ENTITLEMENTS}{pk}/").status_code == 204
    assert not LeaveEntitlement.objects.filter(pk=pk).exists()


def test_duplicate_entitlement_is_409(org, as_admin):
    payload = {"employee": org.employee.pk, "year": 2027, "kind": "vacation", "hours": "8"}
    problem(as_admin.post(ENTITLEMENTS, payload, format="json"), 409, "integrity_conflict")
    sick = as_admin.post(ENTITLEMENTS, {**payload, "kind": "sick"}, format="json")
    assert sick.status_code == 201
    problem(
        as_admin.patch(f"{ENTITLEMENTS}{sick.json()['id']}/", {"kind": "vacation"}, format="json"),
        409,
        "integrity_conflict",
    )
    assert LeaveEntitlement.objects.filter(employee=org.employee).count() == 2


def test_entitlements_are_read_by_scope_and_written_by_admins_only(
    org, as_employee, as_manager, as_auditor
):
    mine = LeaveEntitlement.objects.get(employee=org.employee)
    theirs = LeaveEntitlement.objects.create(employee=org.outsider, year=2027, hours=40)
    assert ids(as_employee.get(ENTITLEMENTS)) == [mine.pk]
    assert ids(as_manager.get(ENTITLEMENTS)) == [mine.pk]
    assert set(ids(as_auditor.get(ENTITLEMENTS))) == {mine.pk, theirs.pk}
    problem(as_employee.get(f"{ENTITLEMENTS}{theirs.pk}/"), 404)
    payload = {"employee": org.employee.pk, "year": 2028, "kind": "vacation", "hours": "8"}
    for client in (as_employee, as_manager, as_auditor):
        problem(client.post(ENTITLEMENTS, payload, format="json"), 403)
        problem(client.patch(f"{ENTITLEMENTS}{mine.pk}/", {"hours": "800"}, format="json"), 403)
        problem(client.delete(f"{ENTITLEMENTS}{mine.pk}/"), 403)
    assert LeaveEntitlement.objects.get(pk=mine.pk).hours == Decimal("80.00")
    assert LeaveEntitlement.objects.count() == 2


@pytest.mark.parametrize(
    "payload",
    [
        {"employee": None, "year": 2027, "kind": "vacation", "hours": "8"},
        {"employee": 999999, "year": 2027, "kind": "vacation", "hours": "8"},
        {"employee": "E", "year": 2027, "kind": "vacation", "hours": "-1"},
        {"year": 99999, "kind": "vacation", "hours": "8"},
        {"year": 2027, "kind": "nap", "hours": "8"},
        {"year": 2027, "kind": "vacation", "hours": "8", "colour": "blue"},
        {"year": 2027, "kind": "vacation"},
    ],
)
def test_bad_entitlements_are_400(org, as_admin, payload):
    payload.setdefault("employee", org.outsider.pk)
    problem(as_admin.post(ENTITLEMENTS, payload, format="json"), 400)
    assert not LeaveEntitlement.objects.filter(employee=org.outsider).exists()


# --- the outbox, the audit log, termination ----------------------------------------------------


def test_transitions_reach_the_outbox_and_the_audit_log(org, as_employee, as_manager, as_auditor):
    body = asked(as_employee)
    subject = f"leave_request/{body['id']}"
    assert Event.objects.filter(type="coveris.leave_request.requested", subject=subject).exists()
    entry = ran(as_manager, body["id"], "approve")["ledger_entry"]
    assert Event.objects.filter(type="coveris.leave_request.approved", subject=subject).exists()
    created = Event.objects.filter(type="coveris.ledger_entry.created").values_list(
        "entity_id", flat=True
    )
    assert list(created) == [entry]
    ran(as_employee, body["id"], "cancel")
    assert Event.objects.filter(type="coveris.leave_request.cancelled", subject=subject).exists()

    log = as_auditor.get(
        "/api/v1/audit-log/", {"entity_type": "leave_request", "entity_id": body["id"]}
    )
    assert log.status_code == 200, log.content
    transitions = [row["transition"] for row in log.json()["results"] if row["transition"]]
    assert [t for t in transitions if t in {"request", "approve", "cancel"}] == [
        "cancel",
        "approve",
        "request",
    ]
    assert verify_all()["ok"] is True
    assert as_auditor.get("/api/v1/audit-log/verify/").json()["ok"] is True


def test_terminating_the_employee_cancels_leave_after_the_termination_date(
    org, as_employee, as_manager, admin_user
):
    before = asked(as_employee)  # ends 2027-03-07
    approved = asked(as_employee, NEXT_MONDAY, NEXT_MONDAY + dt.timedelta(days=6))
    ran(as_manager, before["id"], "approve")
    entry = ran(as_manager, approved["id"], "approve")["ledger_entry"]
    pending = asked(as_employee, MONDAY + dt.timedelta(days=14), MONDAY + dt.timedelta(days=15))
    employee = employee_update(employee=org.employee, termination_date=MONDAY + dt.timedelta(9))
    transition_apply(subject=employee, transition="terminate", actor=admin_user, reason="Left")

    states = dict(LeaveRequest.objects.values_list("id", "state"))
    assert states == {before["id"]: "approved", approved["id"]: "cancelled",
                      pending["id"]: "cancelled"}  # fmt: skip
    (correction,) = LedgerEntry.objects.filter(reverses_id=entry)
    assert correction.hours_per_week == Decimal("40.00")
    assert not LedgerEntry.objects.filter(reverses__leave_request=before["id"]).exists()
    cancel_log = LeaveTransitionLog.objects.get(subject_id=pending["id"], transition="cancel")
    assert cancel_log.actor == admin_user
    assert employee.employee_number in cancel_log.reason
    assert "cause" in cancel_log.metadata
    assert verify_all()["ok"] is True


# --- the robustness contract (DESIGN §12) ------------------------------------------------------


@pytest.mark.parametrize("url", [LEAVE, ENTITLEMENTS])
def test_filtering_by_an_employee_outside_scope_answers_like_an_unknown_one(org, as_manager, url):
    outside = problem(as_manager.get(url, {"employee": org.outsider.pk}), 400)
    unknown = problem(as_manager.get(url, {"employee": 999_999}), 400)
    assert outside["errors"] == unknown["errors"]
    assert as_manager.get(url, {"employee": org.employee.pk}).status_code == 200


def test_the_same_idempotency_key_replays_the_request_without_a_second_one(org, as_employee):
    payload = {"start_date": day(MONDAY), "end_date": day(SUNDAY)}
    first = as_employee.post(LEAVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="leave-1")
    again = as_employee.post(LEAVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="leave-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert LeaveRequest.objects.count() == 1
    other = {**payload, "note": "changed"}
    problem(
        as_employee.post(LEAVE, other, format="json", HTTP_IDEMPOTENCY_KEY="leave-1"),
        422,
        "idempotency_key_reused",
    )


def test_urls_work_without_the_trailing_slash(org, as_employee, as_manager):
    created = as_employee.post(
        LEAVE.rstrip("/"), {"start_date": day(MONDAY), "end_date": day(SUNDAY)}, format="json"
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    approved = as_manager.post(f"{LEAVE}{pk}/transitions", {"transition": "approve"}, format="json")
    assert approved.status_code == 200, approved.content
    balance = as_employee.get(f"/api/v1/employees/{org.employee.pk}/leave-balance")
    assert balance.status_code == 200


@pytest.mark.parametrize("url", [LEAVE, ENTITLEMENTS])
def test_list_query_count_does_not_grow_with_the_page(org, admin_user, as_admin, url):
    for week in range(12):
        employee = make_employee(org.unit)
        start = MONDAY + dt.timedelta(weeks=week)
        leave_request_create(actor=admin_user, employee=employee, start_date=start, end_date=start)
        LeaveEntitlement.objects.create(employee=employee, year=2027, hours=8)
    counts = []
    for size in (2, 12):
        with CaptureQueriesContext(connection) as queries:
            response = as_admin.get(url, {"page_size": size})
        assert len(response.json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


# --- contract changes --------------------------------------------------------------------------


def supply_week(client, employee, monday=MONDAY) -> dict:
    response = client.get(
        "/api/v1/supply/",
        {"employee": employee.pk, "from": day(monday), "to": day(monday + dt.timedelta(6))},
    )
    assert response.status_code == 200, response.content
    (row,) = response.json()["results"]
    return row


def test_leave_after_a_scheduled_contract_change_takes_the_new_contract(
    org, as_employee, as_manager, admin_user
):
    # Today's contract is 40 h; from February it is 20 h: a March week of leave is 20 h.
    contract_hours_add(
        employee=org.employee, valid_from=dt.date(2027, 2, 1), hours=Decimal(20), actor=admin_user
    )
    body = asked(as_employee)
    assert body["hours"] == "20.00"
    ran(as_manager, body["id"], "approve")
    assert ledger_rows(as_manager, org.employee)[0]["hours_per_week"] == "-20.00"
    row = supply_week(as_manager, org.employee)
    assert (row["contract"], row["ledger"], row["supply"]) == ("20.00", "-20.00", "0.00")


def test_leave_across_a_contract_change_takes_each_version_over_its_days(
    org, as_employee, as_manager, admin_user
):
    contract_hours_add(
        employee=org.employee,
        valid_from=MONDAY + dt.timedelta(3),
        hours=Decimal(20),
        actor=admin_user,
    )
    body = asked(as_employee)
    # Monday to Wednesday at 40 h a week, Thursday to Sunday at 20: 17.14 + 11.43.
    assert body["hours"] == "28.57"
    ran(as_manager, body["id"], "approve")
    row = supply_week(as_manager, org.employee)
    assert (row["contract"], row["ledger"], row["supply"]) == ("28.57", "-28.57", "0.00")
