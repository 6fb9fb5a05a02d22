"""The admin's coverage page (heat map, totals, worst gaps) and the change-page charts."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.test import Client

from apps.demand.charts import COVERED, GAP, GAP_SEVERE, OVER_SEVERE
from apps.org.models import Position
from apps.users.models import Role
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db

URL = "/admin/demand/coveragereport/"
SVG = "{http://www.w3.org/2000/svg}"
THREE_WEEKS = {"from": "2026-03-02", "to": "2026-03-16"}  # 2026-W10 to 2026-W12


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def hr_admin(admin_user) -> Client:
    """A staff HR admin who is not a superuser."""
    return client_for(admin_user)


@pytest.fixture
def superuser_client(db) -> Client:
    return client_for(
        UserFactory(role=Role.ADMIN, email="root@example.test", is_staff=True, is_superuser=True)
    )


class Org:
    """A root unit with a child; four positions with gaps, half cover, full cover, surplus;
    and a position in another unit that the report of `root` never shows."""

    def __init__(self, actor) -> None:
        self.root = make_unit("ROOT", name="Head office")
        self.child = make_unit("KID", parent=self.root, name="Branch")
        other = make_unit("ELSE", name="Elsewhere")
        employee = make_employee(self.child)
        self.empty = make_position(self.root, code="EMPTY", title="Nobody here")
        self.half = make_position(self.child, code="HALF", title="Half staffed")
        self.full = make_position(self.child, code="FULL", title="Fully staffed")
        self.over = make_position(
            self.child, code="OVER", title="Over staffed", weekly_hours=Decimal("20.00")
        )
        self.elsewhere = make_position(other, code="AWAY", title="Not in the subtree")
        for position, hours in ((self.half, "20.00"), (self.full, "40.00"), (self.over, "30.00")):
            make_assignment(employee, position, state="approved", hours=hours, actor=actor)


@pytest.fixture
def org(admin_user) -> Org:
    return Org(admin_user)


def heatmap(response) -> ET.Element:
    """The heat map's <svg>, parsed (it must be well-formed XML)."""
    match = re.search(
        r'<svg[^>]*class="coverage-heatmap".*?</svg>', response.content.decode(), re.S
    )
    assert match, "no heat map on the page"
    return ET.fromstring(match.group(0))


def rows(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("class") == "row"]


def cells(row: ET.Element) -> list[ET.Element]:
    return [r for r in row.iter(f"{SVG}rect") if r.get("class") == "cell"]


def section(response, element_id: str) -> str:
    text = response.content.decode()
    start = text.index(f'id="{element_id}"')
    return html.unescape(text[start : text.index("</table>", start)])


def test_heat_map_rows_colours_totals_and_worst_gaps(hr_admin, org):
    response = hr_admin.get(URL, {"unit": org.root.pk, **THREE_WEEKS})

    assert response.status_code == 200
    svg = heatmap(response)
    drawn = rows(svg)
    # Largest uncovered hours first (120, 60), then the covered ones in id order.
    assert [int(g.get("data-position")) for g in drawn] == [
        org.empty.pk,
        org.half.pk,
        org.full.pk,
        org.over.pk,
    ]
    assert all(len(cells(g)) == 3 for g in drawn)
    weeks = [c.get("data-week") for c in cells(drawn[0])]
    assert weeks == ["2026-W10", "2026-W11", "2026-W12"]
    expected = {0: GAP_SEVERE, 1: GAP, 2: COVERED, 3: OVER_SEVERE}
    for index, band in expected.items():
        assert {(c.get("data-band"), c.get("fill")) for c in cells(drawn[index])} == {
            (band.name, band.fill)
        }
    assert GAP_SEVERE.fill == "#b2182b"  # red for gaps
    assert OVER_SEVERE.fill == "#2166ac"  # blue for over-staffing
    tooltip = cells(drawn[1])[0].find(f"{SVG}title")
    assert tooltip is not None
    assert tooltip.text == "HALF 2026-W10: required 40.00 h, assigned 20.00 h, gap 20.00 h"
    assert "AWAY" not in response.content.decode()

    totals = section(response, "coverage-totals")
    # 40 + 40 + 40 + 20 required, 0 + 20 + 40 + 30 assigned, in each week.
    assert totals.count("<td>140.00</td>") == 3
    assert totals.count("<td>90.00</td>") == 3
    assert totals.count('<td class="short">50.00</td>') == 3

    worst = re.findall(
        r'<tr data-position="(\d+)" data-week="([\dW-]+)">', section(response, "coverage-worst")
    )
    assert worst == [
        (str(org.empty.pk), "2026-W10"),
        (str(org.empty.pk), "2026-W11"),
        (str(org.empty.pk), "2026-W12"),
        (str(org.half.pk), "2026-W10"),
        (str(org.half.pk), "2026-W11"),
        (str(org.half.pk), "2026-W12"),
    ]
    assert "40.00" in section(response, "coverage-worst")


def test_defaults_are_the_first_root_unit_and_twelve_weeks(superuser_client, org):
    response = superuser_client.get(URL)

    assert response.status_code == 200
    drawn = rows(heatmap(response))
    assert len(drawn) == 4
    assert all(len(cells(g)) == 12 for g in drawn)
    assert f'<option value="{org.root.pk}" selected>' in response.content.decode()


def test_rows_are_capped_and_the_page_says_so(hr_admin, org, monkeypatch):
    monkeypatch.setattr("apps.demand.admin_views.MAX_ROWS", 2)

    response = hr_admin.get(URL, {"unit": org.root.pk, **THREE_WEEKS})

    drawn = rows(heatmap(response))
    assert [int(g.get("data-position")) for g in drawn] == [org.empty.pk, org.half.pk]
    note = " ".join(html.unescape(response.content.decode()).split())
    assert "Showing the 2 positions with the largest uncovered hours of 4 positions" in note
    # The totals still count every position of the subtree.
    assert section(response, "coverage-totals").count("<td>140.00</td>") == 3


def test_a_child_unit_shows_only_its_subtree(hr_admin, org):
    response = hr_admin.get(URL, {"unit": org.child.pk, **THREE_WEEKS})

    assert [int(g.get("data-position")) for g in rows(heatmap(response))] == [
        org.half.pk,
        org.full.pk,
        org.over.pk,
    ]


def test_texts_are_escaped(hr_admin, org):
    Position.objects.filter(pk=org.empty.pk).update(title='<script>alert("x")</script>')

    response = hr_admin.get(URL, {"unit": org.root.pk, **THREE_WEEKS})

    body = response.content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)" in body
    heatmap(response)  # still well-formed


def test_no_positions_says_so(hr_admin, db):
    unit = make_unit("BARE")

    response = hr_admin.get(URL, {"unit": unit.pk, **THREE_WEEKS})

    assert response.status_code == 200
    assert b'id="coverage-empty"' in response.content
    assert b'class="coverage-heatmap"' not in response.content


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "2026-03-16", "to": "2026-03-02"}, "The end is before the start."),
        ({"from": "2026-01-05", "to": "2027-06-28"}, "At most 53 weeks at once."),
        ({"from": "not-a-date"}, "Enter a valid date."),
        ({"unit": "999999"}, "Select a valid choice."),
    ],
)
def test_bad_queries_show_the_form_errors(hr_admin, org, query, message):
    response = hr_admin.get(URL, {"unit": org.root.pk, **THREE_WEEKS, **query})

    assert response.status_code == 200
    assert message in html.unescape(response.content.decode())
    assert b'class="coverage-heatmap"' not in response.content


def test_query_count_does_not_grow_with_positions(hr_admin, org):
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert hr_admin.get(URL, {"unit": org.root.pk, **THREE_WEEKS}).status_code == 200
        return len(queries)

    before = count()
    for n in range(6):
        make_position(org.child, code=f"MORE{n}")
    assert count() == before


def test_only_staff_hr_admins_open_the_page(org, employee_user, manager_user, auditor_user):
    assert Client().get(URL).status_code == 302  # to the admin login
    assert client_for(employee_user).get(URL).status_code == 302  # not staff: login again
    for user in (manager_user, auditor_user):
        user.is_staff = True
        user.save()
        assert client_for(user).get(URL).status_code == 403


def test_the_admin_index_links_the_page_for_hr_admins_only(hr_admin, manager_user):
    assert URL in hr_admin.get("/admin/").content.decode()
    manager_user.is_staff = True
    manager_user.save()
    assert URL not in client_for(manager_user).get("/admin/").content.decode()


def test_position_change_page_shows_required_vs_assigned(superuser_client, org):
    response = superuser_client.get(f"/admin/org/position/{org.half.pk}/change/")

    assert response.status_code == 200
    body = response.content.decode()
    chart = re.search(r'<svg[^>]*class="week-chart".*?</svg>', body, re.S)
    assert chart, "no chart on the position page"
    svg = ET.fromstring(chart.group(0))
    assert svg.get("aria-label").startswith("HALF: required and assigned hours")
    groups = [g for g in svg.iter(f"{SVG}g") if g.get("data-week")]
    assert len(groups) == 12
    series = {r.get("data-series") for r in svg.iter(f"{SVG}rect") if r.get("data-series")}
    assert series == {"required", "assigned"}


def test_employee_change_page_shows_supply_vs_assigned(superuser_client, org):
    employee = org.half.assignments.get().employee

    response = superuser_client.get(f"/admin/org/employee/{employee.pk}/change/")

    assert response.status_code == 200
    chart = re.search(r'<svg[^>]*class="week-chart".*?</svg>', response.content.decode(), re.S)
    assert chart, "no chart on the employee page"
    svg = ET.fromstring(chart.group(0))
    assert svg.get("aria-label").startswith(f"{employee.employee_number}: supply and assigned")
    series = {r.get("data-series") for r in svg.iter(f"{SVG}rect") if r.get("data-series")}
    assert series == {"supply", "assigned"}


def test_the_charts_count_the_weeks_they_show(org):
    import datetime as dt

    from apps.demand.charts import position_chart
    from apps.offer.charts import employee_chart

    today = dt.date(2026, 3, 4)  # a Wednesday of 2026-W10
    position_svg = ET.fromstring(str(position_chart(org.half, today=today)))
    values = {
        (g.get("data-week"), r.get("data-series")): r.get("data-value")
        for g in position_svg.iter(f"{SVG}g")
        if g.get("data-week")
        for r in g.iter(f"{SVG}rect")
    }
    assert values[("2026-W10", "required")] == "40.00"
    assert values[("2026-W10", "assigned")] == "20.00"
    assert values[("2026-W21", "assigned")] == "20.00"

    employee = org.half.assignments.get().employee
    employee_svg = ET.fromstring(str(employee_chart(employee, today=today)))
    supply = {
        (g.get("data-week"), r.get("data-series")): r.get("data-value")
        for g in employee_svg.iter(f"{SVG}g")
        if g.get("data-week")
        for r in g.iter(f"{SVG}rect")
    }
    assert supply[("2026-W10", "supply")] == "40.00"
    assert supply[("2026-W10", "assigned")] == "90.00"  # 20 + 40 + 30: over-committed


def test_add_pages_show_no_chart(superuser_client):
    assert b'class="week-chart"' not in superuser_client.get("/admin/org/position/add/").content


@pytest.mark.parametrize(
    ("required", "assigned", "band", "text"),
    [
        ("40.00", "0.00", "gap-severe", "0%"),
        ("40.00", "19.79", "gap-severe", "49%"),
        ("40.00", "19.99", "gap", "50%"),  # 49.98 %: coloured as the 50 % it shows
        ("40.00", "20.00", "gap", "50%"),
        ("40.00", "38.00", "covered", "95%"),
        ("40.00", "42.00", "covered", "105%"),
        ("40.00", "50.00", "over", "125%"),
        ("40.00", "50.40", "over-severe", "126%"),
        ("0.00", "20.00", "over-severe", "+20 h"),  # hours where nothing is demanded
        ("0.00", "0.00", "none", ""),
    ],
)
def test_bands_and_cell_texts(required, assigned, band, text):
    import datetime as dt

    from apps.demand.charts import band_of, cell_text
    from apps.demand.selectors import CoverageWeek

    week = CoverageWeek(1, dt.date(2026, 3, 2), Decimal(required), Decimal(assigned))
    assert (band_of(week).name, cell_text(week)) == (band, text)


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [("0", "1"), ("0.5", "1"), ("7", "10"), ("12.5", "20"), ("40", "50"), ("120", "200")],
)
def test_chart_scale_ends_on_a_round_number(value, ceiling):
    from apps.reports.svg import nice_ceiling

    assert nice_ceiling(Decimal(value)) == Decimal(ceiling)


def test_requirement_and_ledger_admins(db, admin_user):
    import datetime as dt
    from decimal import Decimal

    from django.test import Client

    from apps.demand.models import CoverageRequirement
    from apps.offer.models import LedgerEntry
    from apps.offer.services import ledger_entry_create
    from tests.factories.org import make_employee, make_position, make_unit

    admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    unit = make_unit()
    position = make_position(unit)
    response = client.post(
        "/admin/demand/coveragerequirement/add/",
        {
            "position": position.pk,
            "start_date": "2026-03-02",
            "end_date": "2026-03-08",
            "required_hours": "60.00",
        },
    )
    assert response.status_code == 302
    assert CoverageRequirement.objects.get().required_hours == Decimal("60.00")
    entry = ledger_entry_create(
        employee=make_employee(unit),
        kind="leave",
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 8),
        hours_per_week=Decimal("-8"),
        actor=admin_user,
    )
    assert client.get("/admin/offer/ledgerentry/").status_code == 200
    assert client.get("/admin/offer/ledgerentry/add/").status_code == 403
    client.post(
        "/admin/offer/ledgerentry/", {"action": "reverse_entries", "_selected_action": [entry.pk]}
    )
    correction = LedgerEntry.objects.get(reverses=entry)
    assert correction.hours_per_week == Decimal("8.00")
    assert correction.actor == admin_user
