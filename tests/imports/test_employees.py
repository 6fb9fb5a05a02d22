"""Importing employees through the API: dry run, rows, commit, a second import that changes
nothing, updates of exactly the edited rows, and the errors a user sees."""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.core.models import Change
from apps.org.models import ContractHours, Employee
from tests.factories.org import make_employee, make_unit
from tests.imports.conftest import commit, dry_run, rows, run_jobs, upload

pytestmark = pytest.mark.django_db

HEADER = "employee_number,first_name,last_name,email,org_unit,contract_hours,hire_date\n"


@pytest.fixture
def units():
    return make_unit("WARD-A"), make_unit("WARD-B")


def test_a_new_file_is_a_dry_run_then_a_commit(as_admin, admin_user, units):
    content = HEADER + (
        "E1,Ann,Archer,ann@example.test,WARD-A,40,2026-01-05\n"
        "E2,Bob,Baker,,WARD-B,20.5,2026-02-01\n"
    )
    response = upload(as_admin, "employees", content)
    assert response.status_code == 202, response.content
    queued = response.json()
    assert queued["state"] == "queued"
    assert response["Location"].endswith(f"/api/v1/imports/{queued['id']}/")

    run_jobs()
    validated = as_admin.get(f"/api/v1/imports/{queued['id']}/").json()
    assert validated["state"] == "validated"
    assert (validated["rows_total"], validated["rows_done"]) == (2, 2)
    assert (validated["created"], validated["updated"], validated["errors"]) == (2, 0, 0)
    assert Employee.objects.count() == 0  # a dry run writes nothing
    listed = rows(as_admin, queued["id"])
    assert [(r["row"], r["action"], r["key"]) for r in listed] == [
        (2, "create", "E1"),
        (3, "create", "E2"),
    ]

    done = commit(as_admin, queued["id"])
    assert done["state"] == "committed"
    assert done["created"] == 2
    bob = Employee.objects.get(employee_number="E2")
    assert (bob.first_name, bob.org_unit, bob.contract_hours) == ("Bob", units[1], Decimal("20.5"))
    assert bob.state == "candidate"
    # Through the services: the first contract-hours version, and the record of it all,
    # attributed to the admin and carrying the import's request id.
    assert ContractHours.objects.filter(employee=bob, hours=Decimal("20.50")).exists()
    recorded = Change.objects.filter(entity_type="employee", entity_id=bob.pk).get()
    assert recorded.actor_id == admin_user.pk
    assert recorded.request_id == queued["request_id"] != ""


def test_importing_the_same_file_twice_changes_nothing(as_admin, units):
    content = HEADER + "E1,Ann,Archer,ann@example.test,WARD-A,40,2026-01-05\n"
    first = dry_run(as_admin, "employees", content)
    commit(as_admin, first["id"])
    changes = Change.objects.count()

    second = dry_run(as_admin, "employees", content)
    assert (second["created"], second["updated"], second["unchanged"]) == (0, 0, 1)
    done = commit(as_admin, second["id"])
    assert done["state"] == "committed"
    assert Change.objects.count() == changes


def test_an_edited_row_updates_only_what_changed(as_admin, units):
    ann = make_employee(units[0], employee_number="E1", first_name="Ann")
    bob = make_employee(units[0], employee_number="E2", first_name="Bob")
    content = HEADER + (
        f"E1,Ann,{ann.last_name},{ann.email},WARD-A,40,2026-01-05\n"
        f"E2,Robert,{bob.last_name},{bob.email},WARD-B,40,2026-01-05\n"
    )
    checked = dry_run(as_admin, "employees", content)
    assert (checked["updated"], checked["unchanged"]) == (1, 1)
    (update,) = rows(as_admin, checked["id"], status="update")
    assert update["key"] == "E2"
    assert update["changed"] == ["first_name", "org_unit"]

    commit(as_admin, checked["id"])
    bob.refresh_from_db()
    assert (bob.first_name, bob.org_unit) == ("Robert", units[1])


def test_row_errors_name_the_field_and_block_an_all_or_nothing_commit(as_admin, units):
    content = HEADER + (
        "E1,Ann,Archer,,WARD-A,40,2026-01-05\n"
        "E2,Bob,Baker,not-an-email,WARD-A,40,2026-01-05\n"
        "E3,Cy,Cole,,NOWHERE,40,2026-01-05\n"
        "E4,Di,Dunn,,WARD-A,200,05.01.2026\n"
        "E1,Ann,Again,,WARD-A,40,2026-01-05\n"
    )
    checked = dry_run(as_admin, "employees", content)
    assert (checked["created"], checked["errors"]) == (1, 4)
    errors = {
        r["key"] + f"@{r['row']}": r["errors"] for r in rows(as_admin, checked["id"], "error")
    }
    assert [e["field"] for e in errors["E2@3"]] == ["email"]
    assert errors["E3@4"] == [
        {
            "field": "org_unit",
            "code": "unknown_reference",
            "message": "No org unit with code 'NOWHERE'.",
        }
    ]
    by_field = {e["field"]: e for e in errors["E4@5"]}
    assert by_field["contract_hours"]["code"] == "max_value"
    assert "YYYY-MM-DD" in by_field["hire_date"]["message"]
    assert errors["E1@6"][0]["code"] == "duplicate_key"
    assert "Row 2" in errors["E1@6"][0]["message"]

    refused = as_admin.post(f"/api/v1/imports/{checked['id']}/commit/", {})
    assert refused.status_code == 422
    assert refused.json()["code"] == "import_has_errors"
    assert Employee.objects.count() == 0

    csv = as_admin.get(f"/api/v1/imports/{checked['id']}/errors.csv")
    assert csv.status_code == 200
    lines = b"".join(csv.streaming_content).decode().splitlines()
    assert lines[0].split(",") == [
        "row",
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "org_unit",
        "contract_hours",
        "hire_date",
        "termination_date",
        "errors",
    ]
    assert len(lines) == 5
    assert lines[1].startswith("3,E2,Bob,Baker,not-an-email,")


def test_a_partial_commit_writes_the_valid_rows(as_admin, units):
    content = HEADER + (
        "E1,Ann,Archer,,WARD-A,40,2026-01-05\nE2,Bob,Baker,,NOWHERE,40,2026-01-05\n"
    )
    checked = dry_run(as_admin, "employees", content)
    done = commit(as_admin, checked["id"], partial=True)
    assert (done["state"], done["mode"], done["created"], done["errors"]) == (
        "committed",
        "partial",
        1,
        1,
    )
    assert list(Employee.objects.values_list("employee_number", flat=True)) == ["E1"]


def test_a_commit_is_taken_once(as_admin, units):
    checked = dry_run(as_admin, "employees", HEADER + "E1,Ann,Archer,,WARD-A,40,2026-01-05\n")
    commit(as_admin, checked["id"])
    again = as_admin.post(f"/api/v1/imports/{checked['id']}/commit/", {})
    assert again.status_code == 409
    assert again.json()["code"] == "import_not_validated"
    assert Employee.objects.count() == 1


def test_a_row_the_service_refuses_at_commit_is_named_and_nothing_is_written(as_admin, units):
    """The dry run validates with the API's serializer; the service's own model rules (a
    termination before the hire date) refuse the row at commit: nothing is written, the import
    says which row."""
    content = HEADER.replace("hire_date\n", "hire_date,termination_date\n") + (
        "E1,Ann,Archer,,WARD-A,40,2026-01-05,\nE2,Bob,Baker,,WARD-A,40,2026-02-01,2026-01-01\n"
    )
    checked = dry_run(as_admin, "employees", content)
    assert checked["errors"] == 0
    done = commit(as_admin, checked["id"])
    assert done["state"] == "failed"
    assert done["error"].startswith("Nothing was written: row 3 was refused")
    (row,) = rows(as_admin, checked["id"], "error")
    assert (row["row"], row["errors"][0]["field"]) == (3, "termination_date")
    assert not Employee.objects.exists()


def test_a_partial_commit_skips_a_row_the_service_refuses(as_admin, units):
    content = HEADER.replace("hire_date\n", "hire_date,termination_date\n") + (
        "E1,Ann,Archer,,WARD-A,40,2026-01-05,\nE2,Bob,Baker,,WARD-A,40,2026-02-01,2026-01-01\n"
    )
    checked = dry_run(as_admin, "employees", content)
    done = commit(as_admin, checked["id"], partial=True)
    assert (done["state"], done["created"], done["errors"]) == ("committed", 1, 1)
    assert list(Employee.objects.values_list("employee_number", flat=True)) == ["E1"]


def test_the_errors_csv_mended_is_imported_as_it_is(as_admin, units):
    """Download the rows in error, mend them in a spreadsheet, upload that file: its `row` and
    `errors` columns are read as nothing."""
    checked = dry_run(as_admin, "employees", HEADER + "E1,Ann,Archer,,NOWHERE,40,2026-01-05\n")
    csv = as_admin.get(f"/api/v1/imports/{checked['id']}/errors.csv")
    mended = b"".join(csv.streaming_content).decode().replace("NOWHERE", "WARD-A")
    again = dry_run(as_admin, "employees", mended)
    assert (again["created"], again["errors"]) == (1, 0)
    assert "errors" not in rows(as_admin, again["id"])[0]["values"]
    assert as_admin.get(f"/api/v1/imports/{again['id']}/rows/?format=json").status_code == 200


def test_a_header_of_thousands_of_unknown_columns_gets_a_short_answer(as_admin):
    header = ",".join(f"col{i}" for i in range(5000))
    response = upload(as_admin, "employees", header + "\n" + "x," * 4999 + "x\n")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_columns"
    assert "and 4980 more" in body["detail"]
    assert len(response.content) < 10_000
