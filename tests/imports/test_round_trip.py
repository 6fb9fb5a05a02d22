"""Export → edit → import, per kind (DESIGN.md §9): a list's `?format=csv` holds its import
template's columns; importing it back changes nothing; editing one cell changes exactly that
row, and the next export reads as the edited file."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from apps.demand import services as demand_services
from apps.imports.kinds import KINDS
from apps.offer import services as offer_services
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag, need_tag
from tests.imports.conftest import commit, dry_run, rows

pytestmark = pytest.mark.django_db

MONDAY = dt.date(2026, 3, 2)


@pytest.fixture
def world(admin_user):
    top = make_unit("RT-TOP", name="Top")
    ward = make_unit("RT-WARD", parent=top, name="Ward")
    p1 = make_position(top, code="RT-P1", title="Nurse")
    make_position(ward, code="RT-P2", title="Porter", end_date=dt.date(2026, 12, 31))
    e1 = make_employee(top, employee_number="RT-E1", last_name="Archer")
    make_employee(ward, employee_number="RT-E2", last_name="Baker", email="")
    offer_services.ledger_entry_create(
        employee=e1,
        kind="leave",
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=4),
        hours_per_week=Decimal("-8"),
        note="spring",
        actor=admin_user,
    )
    demand_services.requirement_create(
        position=p1, start_date=MONDAY, end_date=dt.date(2026, 6, 28), required_hours=Decimal("80")
    )
    t1 = make_tag("rt-first-aid", label="First aid")
    make_tag("rt-forklift", label="Forklift")
    give_tag(e1, t1, level=2, valid_from=dt.date(2026, 1, 1))
    need_tag(p1, t1, min_level=2)
    make_assignment(e1, p1, start=MONDAY, hours="20.00")


# kind, export URL, (row's key column, key value, column, new value), what the edit does
CASES = [
    ("org_units", "/api/v1/org-units/?format=csv", ("code", "RT-WARD", "name", "Ward 2"), "update"),
    ("positions", "/api/v1/positions/?format=csv", ("code", "RT-P2", "title", "Runner"), "update"),
    (
        "employees",
        "/api/v1/employees/?format=csv",
        ("employee_number", "RT-E2", "last_name", "Cole"),
        "update",
    ),
    (
        "contract_hours",
        "/api/v1/imports/exports/contract_hours.csv",
        ("employee", "RT-E2", "hours", "30.00"),
        "update",
    ),
    (
        "ledger_entries",
        "/api/v1/hours-ledger/?format=csv",
        ("employee", "RT-E1", "hours_per_week", "-16.00"),
        "create",
    ),
    (
        "coverage_requirements",
        "/api/v1/coverage-requirements/?format=csv",
        ("position", "RT-P1", "required_hours", "60.00"),
        "update",
    ),
    (
        "tags",
        "/api/v1/tags/?format=csv",
        ("code", "rt-forklift", "label", "Forklift truck"),
        "update",
    ),
    (
        "employee_tags",
        "/api/v1/employee-tags/?format=csv",
        ("employee", "RT-E1", "level", "4"),
        "update",
    ),
    (
        "position_tags",
        "/api/v1/position-tags/?format=csv",
        ("position", "RT-P1", "min_level", "3"),
        "update",
    ),
    (
        "assignments",
        "/api/v1/assignments/?format=csv",
        ("employee", "RT-E1", "weekly_hours", "24.00"),
        "update",
    ),
]


def _read(text: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames or []), list(reader)


def _write(header: list[str], table: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(table)
    return out.getvalue()


def _export(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode()


def _ours(table: list[dict[str, str]]) -> list[dict[str, str]]:
    """The world's rows (the suite's demo data may add others)."""
    return [r for r in table if any(v.startswith(("RT-", "rt-")) for v in r.values())]


@pytest.mark.parametrize(("kind", "url", "edit", "effect"), CASES, ids=[c[0] for c in CASES])
def test_export_edit_import_changes_exactly_the_edited_row(
    as_admin, world, kind, url, edit, effect
):
    header, table = _read(_export(as_admin, url))
    assert header == list(KINDS[kind].columns)
    table = _ours(table)
    assert table

    back = dry_run(as_admin, kind, _write(header, table))
    assert back["state"] == "validated", back
    assert (back["created"], back["updated"], back["errors"]) == (0, 0, 0), rows(
        as_admin, back["id"]
    )
    assert back["unchanged"] == len(table)

    key_column, key, column, value = edit
    (target,) = [r for r in table if r[key_column] == key]
    target[column] = value
    edited = dry_run(as_admin, kind, _write(header, table))
    assert edited[effect.replace("update", "updated").replace("create", "created")] == 1, rows(
        as_admin, edited["id"]
    )
    assert edited["unchanged"] == len(table) - 1
    assert edited["errors"] == 0
    if effect == "update":
        (changed,) = rows(as_admin, edited["id"], status="update")
        assert changed["changed"] == [column]

    assert commit(as_admin, edited["id"])["state"] == "committed"
    _, after = _read(_export(as_admin, url))
    after = _ours(after)
    if kind == "contract_hours":  # a newer version for the same day: both are listed
        assert len(after) == len(table) + 1
        assert target in after
    elif effect == "create":  # the ledger is append-only: the edited row is a new entry
        assert len(after) == len(table) + 1
        assert all(r in after for r in table)
    else:
        assert sorted(map(sorted, (r.items() for r in after))) == sorted(
            map(sorted, (r.items() for r in table))
        )


def test_an_export_neutralises_formulas_and_an_import_reads_them_back(as_admin, admin_user):
    make_unit("RT-F", name='=HYPERLINK("http://evil")')
    text = _export(as_admin, "/api/v1/org-units/?format=csv")
    assert "'=HYPERLINK" in text  # a spreadsheet shows it as text, never runs it
    header, table = _read(text)
    back = dry_run(as_admin, "org_units", _write(header, _ours(table)))
    assert (back["unchanged"], back["updated"]) == (1, 0)


def test_list_filters_apply_to_the_export(as_admin, world):
    _, table = _read(_export(as_admin, "/api/v1/positions/?format=csv&search=Porter"))
    assert [r["code"] for r in table] == ["RT-P2"]


@pytest.mark.parametrize(
    ("query", "status"),
    [("page_size=true", 400), ("page_size=0", 400), ("page=abc", 404), ("page=0", 404)],
)
def test_an_export_refuses_malformed_paging_as_a_page_does(as_admin, world, query, status):
    """The export ignores paging, but a malformed value is the same mistake as on a page."""
    response = as_admin.get(f"/api/v1/hours-ledger/?format=csv&{query}")
    assert response.status_code == status
    assert response["Content-Type"] == "application/problem+json"
    assert as_admin.get(f"/api/v1/hours-ledger/?{query}").status_code == status
