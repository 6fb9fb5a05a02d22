"""Working calendars through the API (issue 17, items 1-3): calendars and their days, public
holidays from the `holidays` package, iCalendar out and in, and the calendar org units follow."""

from __future__ import annotations

import datetime as dt

import holidays
import pytest
from rest_framework.test import APIClient

from apps.calendars.models import CalendarDay, WorkCalendar
from apps.core.models import Change
from tests.factories.org import make_unit

pytestmark = pytest.mark.django_db

CALENDARS = "/api/v1/calendars/"
DAYS = "/api/v1/calendar-days/"


def make_calendar(client: APIClient, code: str = "office", **fields) -> dict:
    response = client.post(CALENDARS, {"code": code, "name": code.title(), **fields}, format="json")
    assert response.status_code == 201, response.content
    return response.json()


# --- calendars -----------------------------------------------------------------------------


def test_a_calendar_defaults_to_eight_hours_monday_to_friday(as_admin, as_employee):
    created = make_calendar(as_admin)
    assert created["week_hours"] == ["8.00"] * 5 + ["0.00"] * 2
    assert created["normal_week_hours"] == "40.00"
    assert created["country"] == ""
    # Every role reads calendars; only HR admins write them.
    assert as_employee.get(f"{CALENDARS}{created['id']}/").status_code == 200
    assert as_employee.post(CALENDARS, {"code": "x", "name": "X"}, format="json").status_code == 403


def test_a_24_7_calendar(as_admin):
    created = make_calendar(as_admin, "ward", week_hours=["24"] * 7)
    assert created["normal_week_hours"] == "168.00"


@pytest.mark.parametrize(
    ("week_hours", "fragment"),
    [
        (["8", "8", "8", "8", "-1", "0", "0"], "greater than or equal to 0"),
        (["8", "8", "8", "8", "25", "0", "0"], "less than or equal to 24"),
        (["8"] * 6, "at least 7"),
        (["8"] * 8, "no more than 7"),
        (["0"] * 7, "some working hours"),
        (["8", "8", "8", "8", "1e1", "0", "0"], "valid number"),
    ],
)
def test_a_bad_week_is_a_400_and_writes_nothing(as_admin, week_hours, fragment):
    response = as_admin.post(
        CALENDARS, {"code": "bad", "name": "Bad", "week_hours": week_hours}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert fragment in str(body["errors"]["week_hours"])
    assert not WorkCalendar.objects.exists()


def test_codes_are_unique_ignoring_case(as_admin):
    make_calendar(as_admin, "office")
    response = as_admin.post(CALENDARS, {"code": "OFFICE", "name": "Again"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["code"]


def test_country_and_subdivision_are_said_by_holidays_not_typed(as_admin):
    """Read-only: a client may send back what it read, but it sets nothing."""
    response = as_admin.post(CALENDARS, {"code": "c", "name": "C", "country": "DE"}, format="json")
    assert response.status_code == 201
    assert response.json()["country"] == ""


# --- public holidays -------------------------------------------------------------------------


def test_holidays_of_a_region_are_generated_once(as_admin):
    calendar = make_calendar(as_admin, "munich")
    url = f"{CALENDARS}{calendar['id']}/holidays/"
    body = {"country": "de", "subdivision": "by", "from_year": 2026, "to_year": 2027}
    expected = holidays.country_holidays("DE", subdiv="BY", years=[2026, 2027])

    first = as_admin.post(url, body, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["created"] == len(expected)
    dates = {d["date"] for d in first.json()["days"]}
    assert "2026-01-06" in dates  # Epiphany: Bavaria's, not Germany's
    assert "2026-12-25" in dates
    assert all(d["hours"] == "0.00" and d["kind"] == "holiday" for d in first.json()["days"])

    again = as_admin.post(url, body, format="json")
    assert again.status_code == 201
    assert again.json() == {"created": 0, "unchanged": len(expected), "days": []}
    assert CalendarDay.objects.count() == len(expected)
    shown = as_admin.get(f"{CALENDARS}{calendar['id']}/").json()
    assert (shown["country"], shown["subdivision"]) == ("DE", "BY")


def test_a_date_entered_by_hand_is_kept_when_holidays_are_generated(as_admin):
    calendar = make_calendar(as_admin, "berlin")
    as_admin.post(
        DAYS,
        {"calendar": calendar["id"], "date": "2026-12-25", "kind": "half_day", "name": "Skeleton"},
        format="json",
    )
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/holidays/",
        {"country": "DE", "from_year": 2026, "to_year": 2026},
        format="json",
    )
    assert response.json()["unchanged"] == 1
    assert CalendarDay.objects.get(date=dt.date(2026, 12, 25)).kind == "half_day"


def test_an_unknown_country_lists_the_valid_codes(as_admin):
    calendar = make_calendar(as_admin)
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/holidays/",
        {"country": "XX", "from_year": 2026, "to_year": 2026},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert "country" in body["errors"]
    assert {"DE", "FR", "US"} <= set(body["valid"])
    assert not CalendarDay.objects.exists()


def test_an_unknown_subdivision_lists_the_countrys(as_admin):
    calendar = make_calendar(as_admin)
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/holidays/",
        {"country": "DE", "subdivision": "ZZ", "from_year": 2026, "to_year": 2026},
        format="json",
    )
    assert response.status_code == 400
    assert "subdivision" in response.json()["errors"]
    assert "BY" in response.json()["valid"]


@pytest.mark.parametrize(
    ("from_year", "to_year"), [(2027, 2026), (1900, 1901), (2000, 2040), (2026, 9999)]
)
def test_years_out_of_range_are_a_400(as_admin, from_year, to_year):
    calendar = make_calendar(as_admin)
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/holidays/",
        {"country": "FR", "from_year": from_year, "to_year": to_year},
        format="json",
    )
    assert response.status_code == 400
    assert not CalendarDay.objects.exists()


# --- days ------------------------------------------------------------------------------------


def test_days_default_their_hours_by_kind(as_admin):
    calendar = make_calendar(as_admin, week_hours=["8", "8", "8", "8", "6", "0", "0"])
    base = {"calendar": calendar["id"]}
    cases = [
        ("2026-03-02", "holiday", "0.00"),  # a Monday
        ("2026-03-06", "half_day", "3.00"),  # a Friday of 6 h
        ("2026-03-07", "extra", "7.60"),  # a Saturday: the mean working day
        ("2026-03-09", "closure", "0.00"),
    ]
    for date, kind, hours in cases:
        response = as_admin.post(DAYS, {**base, "date": date, "kind": kind}, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["hours"] == hours
    given = as_admin.post(
        DAYS, {**base, "date": "2026-03-10", "kind": "half_day", "hours": "5"}, format="json"
    )
    assert given.json()["hours"] == "5.00"


def test_one_exception_per_date_and_hours_within_a_day(as_admin):
    calendar = make_calendar(as_admin)
    day = {"calendar": calendar["id"], "date": "2026-05-01"}
    assert as_admin.post(DAYS, day, format="json").status_code == 201
    again = as_admin.post(DAYS, day, format="json")
    assert again.status_code == 400
    too_long = as_admin.post(DAYS, {**day, "date": "2026-05-02", "hours": "24.5"}, format="json")
    assert too_long.status_code == 400
    assert "hours" in too_long.json()["errors"]
    assert CalendarDay.objects.count() == 1


def test_days_are_listed_per_calendar_between_dates(as_admin):
    calendar = make_calendar(as_admin)
    other = make_calendar(as_admin, "other")
    for date in ("2026-01-01", "2026-04-06", "2026-12-25"):
        as_admin.post(DAYS, {"calendar": calendar["id"], "date": date}, format="json")
    as_admin.post(DAYS, {"calendar": other["id"], "date": "2026-04-06"}, format="json")
    url = f"{CALENDARS}{calendar['id']}/days/"
    listed = as_admin.get(url, {"from": "2026-02-01", "to": "2026-12-31"}).json()
    assert [d["date"] for d in listed["results"]] == ["2026-04-06", "2026-12-25"]
    assert listed["count"] == 2
    flat = as_admin.get(DAYS, {"calendar": other["id"]}).json()
    assert [d["date"] for d in flat["results"]] == ["2026-04-06"]
    assert as_admin.get(url, {"from": "not-a-date"}).status_code == 400


def test_a_day_changes_and_goes(as_admin):
    calendar = make_calendar(as_admin)
    day = as_admin.post(
        DAYS, {"calendar": calendar["id"], "date": "2026-05-01"}, format="json"
    ).json()
    changed = as_admin.patch(
        f"{DAYS}{day['id']}/", {"hours": "4", "kind": "half_day"}, format="json"
    )
    assert changed.status_code == 200
    assert changed.json()["hours"] == "4.00"
    assert as_admin.delete(f"{DAYS}{day['id']}/").status_code == 204
    assert not CalendarDay.objects.exists()


def test_every_change_is_in_the_calendars_history(as_admin):
    calendar = make_calendar(as_admin)
    as_admin.post(DAYS, {"calendar": calendar["id"], "date": "2026-05-01"}, format="json")
    as_admin.patch(f"{CALENDARS}{calendar['id']}/", {"name": "Renamed"}, format="json")
    history = as_admin.get(f"{CALENDARS}{calendar['id']}/history/").json()["results"]
    assert {(h["entity_type"], h["action"]) for h in history} == {
        ("work_calendar", "create"),
        ("work_calendar", "update"),
        ("calendar_day", "create"),
    }
    assert Change.objects.filter(entity_type="calendar_day").count() == 1


# --- iCalendar ---------------------------------------------------------------------------------


def test_an_export_imports_back_unchanged(as_admin):
    source = make_calendar(as_admin, "source")
    as_admin.post(
        f"{CALENDARS}{source['id']}/holidays/",
        {"country": "FR", "from_year": 2026, "to_year": 2026},
        format="json",
    )
    as_admin.post(
        DAYS,
        {"calendar": source["id"], "date": "2026-12-24", "kind": "half_day", "name": "Eve"},
        format="json",
    )
    exported = as_admin.get(f"{CALENDARS}{source['id']}/ics/")
    assert exported.status_code == 200
    assert exported["Content-Type"].startswith("text/calendar")
    content = exported.getvalue()
    assert content.startswith(b"BEGIN:VCALENDAR")
    assert content.count(b"BEGIN:VEVENT") == CalendarDay.objects.count()

    target = make_calendar(as_admin, "target")
    url = f"{CALENDARS}{target['id']}/ics/"
    imported = as_admin.post(url, content, content_type="text/calendar")
    assert imported.status_code == 200, imported.content
    count = CalendarDay.objects.filter(calendar_id=source["id"]).count()
    assert imported.json() == {"created": count, "updated": 0, "unchanged": 0}

    def days(calendar_id: int) -> list[tuple]:
        return list(
            CalendarDay.objects.filter(calendar_id=calendar_id)
            .order_by("date")
            .values_list("date", "kind", "hours", "name")
        )

    assert days(target["id"]) == days(source["id"])
    again = as_admin.post(url, content, content_type="text/calendar")
    assert again.json() == {"created": 0, "updated": 0, "unchanged": count}


def test_a_plain_ics_file_is_days_off_for_each_day_of_its_events(as_admin):
    calendar = make_calendar(as_admin)
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20260803\r\nDTEND;VALUE=DATE:20260806\r\n"
        "SUMMARY:Summer closure\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20261224T090000Z\r\nSUMMARY:Eve\r\n"
        "X-COVERIS-KIND:half_day\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n"
    )
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/ics/", ics.encode(), content_type="text/calendar"
    )
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 4
    days = list(CalendarDay.objects.order_by("date").values_list("date", "kind", "hours"))
    assert [d[0].isoformat() for d in days] == [
        "2026-08-03",
        "2026-08-04",
        "2026-08-05",
        "2026-12-24",
    ]
    assert days[-1][1:] == ("half_day", 4)


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nthis is not a content line\r\nEND:VCALENDAR\r\n", 3),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\nEND:VCALENDAR\r\n", 4),
        (b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", 2),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260101\r\n"
            b"X-COVERIS-HOURS:lots\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            2,
        ),
        (b"VERSION:2.0\r\n", 1),
    ],
)
def test_a_malformed_file_is_a_400_naming_the_line_and_writes_nothing(as_admin, body, line):
    calendar = make_calendar(as_admin)
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/ics/", body, content_type="text/calendar"
    )
    assert response.status_code == 400, response.content
    problem = response.json()
    assert problem["code"] == "invalid_icalendar"
    assert problem["line"] == line
    assert f"line {line}" in problem["detail"]
    assert not CalendarDay.objects.exists()


def test_a_file_that_is_not_utf8_is_a_400(as_admin):
    calendar = make_calendar(as_admin)
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/ics/",
        "BEGIN:VCALENDAR\r\nSUMMARY:Fête\r\nEND:VCALENDAR\r\n".encode("latin-1"),
        content_type="text/calendar",
    )
    assert response.status_code == 400
    assert "UTF-8" in response.json()["detail"]


def test_an_import_that_is_not_icalendar_is_a_415(as_admin):
    calendar = make_calendar(as_admin)
    response = as_admin.post(f"{CALENDARS}{calendar['id']}/ics/", {"x": 1}, format="json")
    assert response.status_code == 415


# --- org units follow the nearest calendar up the tree ------------------------------------------


def test_units_follow_their_nearest_ancestors_calendar(as_admin):
    office = make_calendar(as_admin, "office")
    ward = make_calendar(as_admin, "ward", week_hours=["24"] * 7)
    hq = make_unit("HQ")
    north = make_unit("NORTH", parent=hq)
    clinic = make_unit("CLINIC", parent=north)
    icu = make_unit("ICU", parent=clinic)
    alone = make_unit("ALONE")
    assert (
        as_admin.patch(
            f"/api/v1/org-units/{hq.pk}/", {"calendar": office["id"]}, format="json"
        ).status_code
        == 200
    )
    as_admin.patch(f"/api/v1/org-units/{icu.pk}/", {"calendar": ward["id"]}, format="json")

    listed = {u["code"]: u for u in as_admin.get("/api/v1/org-units/").json()["results"]}
    assert listed["HQ"]["calendar"] == office["id"]
    assert listed["NORTH"]["calendar"] is None
    assert listed["NORTH"]["effective_calendar"] == office["id"]
    assert listed["CLINIC"]["effective_calendar"] == office["id"]
    assert listed["ICU"]["effective_calendar"] == ward["id"]
    assert listed["ALONE"]["effective_calendar"] is None
    detail = as_admin.get(f"/api/v1/org-units/{clinic.pk}/").json()
    assert detail["effective_calendar"] == office["id"]
    assert alone.effective_calendar_id is None


def test_a_calendar_named_by_a_unit_cannot_be_given_an_unknown_id(as_admin):
    unit = make_unit("U1")
    response = as_admin.patch(f"/api/v1/org-units/{unit.pk}/", {"calendar": 99999}, format="json")
    assert response.status_code == 400
    assert "calendar" in response.json()["errors"]


# --- limits and hostile files (the outside probe's findings) ------------------------------------


def ics(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + "".join(events) + "END:VCALENDAR\r\n").encode()


def event(body: str) -> str:
    return f"BEGIN:VEVENT\r\n{body}END:VEVENT\r\n"


def post_ics(client, calendar, body: bytes):
    return client.post(f"{CALENDARS}{calendar['id']}/ics/", body, content_type="text/calendar")


def test_dates_stay_within_the_years_an_export_can_write(as_admin):
    calendar = make_calendar(as_admin)
    far = as_admin.post(DAYS, {"calendar": calendar["id"], "date": "9999-12-31"}, format="json")
    assert far.status_code == 400
    assert "date" in far.json()["errors"]
    last = as_admin.post(DAYS, {"calendar": calendar["id"], "date": "2199-12-31"}, format="json")
    assert last.status_code == 201
    exported = as_admin.get(f"{CALENDARS}{calendar['id']}/ics/")
    assert exported.status_code == 200
    assert exported.streaming
    assert b"DTEND;VALUE=DATE:22000101" in exported.getvalue()


def test_a_file_describes_a_bounded_number_of_days(as_admin):
    calendar = make_calendar(as_admin)
    long_events = [
        event(f"DTSTART;VALUE=DATE:{2000 + n}0101\r\nDTEND;VALUE=DATE:{2001 + n}0101\r\n")
        for n in range(11)
    ]
    response = post_ics(as_admin, calendar, ics(*long_events))
    assert response.status_code == 400
    assert "at most 3660 days" in response.json()["detail"]
    assert not CalendarDay.objects.exists()


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ("DTSTART;VALUE=DATE:20260101\r\nSUMMARY:a\r\nSUMMARY:b\r\n", "SUMMARY more than once"),
        ("DTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=DAILY;COUNT=5\r\n", "recurring"),
        ("DTSTART;VALUE=DATE:99991231\r\n", "date value out of range"),
        ("DTSTART;VALUE=DATE:22500101\r\n", "dates lie between"),
    ],
)
def test_what_an_event_cannot_say_is_refused_naming_its_line(as_admin, body, fragment):
    calendar = make_calendar(as_admin)
    response = post_ics(as_admin, calendar, ics(event(body)))
    assert response.status_code == 400
    assert response.json()["line"] == 3
    assert fragment in response.json()["detail"]


def test_durations_and_unicode_line_breaks_in_text_are_read(as_admin):
    calendar = make_calendar(as_admin)
    body = ics(event("DTSTART;VALUE=DATE:20260803\r\nDURATION:P3D\r\nSUMMARY:a\u2028b\r\n"))
    response = post_ics(as_admin, calendar, body)
    assert response.status_code == 200, response.content
    assert response.json()["created"] == 3
    assert CalendarDay.objects.first().name == "a\u2028b"


def test_an_unnamed_day_exports_and_imports_back_unnamed(as_admin):
    calendar = make_calendar(as_admin)
    as_admin.post(
        DAYS, {"calendar": calendar["id"], "date": "2026-08-14", "kind": "closure"}, format="json"
    )
    exported = as_admin.get(f"{CALENDARS}{calendar['id']}/ics/").getvalue()
    again = post_ics(as_admin, calendar, exported)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 1}


def test_an_import_without_a_body_is_a_400(as_admin):
    calendar = make_calendar(as_admin)
    response = as_admin.post(f"{CALENDARS}{calendar['id']}/ics/")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_icalendar"


@pytest.mark.parametrize("country", ["ß", "ıL", "D", "DEUT", "1A"])
def test_a_country_code_is_two_or_three_ascii_letters(as_admin, country):
    calendar = make_calendar(as_admin)
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/holidays/",
        {"country": country, "from_year": 2026, "to_year": 2026},
        format="json",
    )
    assert response.status_code == 400
    assert not CalendarDay.objects.exists()


def test_a_long_subdivision_code_is_accepted(as_admin):
    calendar = make_calendar(as_admin)
    response = as_admin.post(
        f"{CALENDARS}{calendar['id']}/holidays/",
        {"country": "AU", "subdivision": "NSW Western", "from_year": 2026, "to_year": 2026},
        format="json",
    )
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:  # not a subdivision of this `holidays` release
        assert "NSW Western" not in response.json().get("valid", [])


def test_a_days_audit_row_links_to_the_day(as_admin):
    calendar = make_calendar(as_admin)
    day = as_admin.post(DAYS, {"calendar": calendar["id"], "date": "2026-05-01"}, format="json")
    rows = as_admin.get("/api/v1/audit-log/", {"entity_type": "calendar_day"}).json()["results"]
    assert rows[0]["subject"] == f"/api/v1/calendar-days/{day.json()['id']}/"
    assert as_admin.get(rows[0]["subject"]).status_code == 200
