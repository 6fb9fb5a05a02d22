"""Who may import what: managers import the kinds they may write, within their scope (a row
outside it is an error row, never a write); auditors read imports; employees have none. And
every kind creates from a file in its template's columns."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.imports.kinds import KINDS
from apps.offer.models import LedgerEntry
from apps.org.models import Employee
from tests.factories.org import make_employee, make_unit
from tests.imports.cases import CREATES, LEDGER
from tests.imports.conftest import commit, dry_run, rows, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def scoped(manager_user):
    mine, other = make_unit("MINE"), make_unit("OTHER")
    manager_user.scope.add(mine)
    return make_employee(mine, employee_number="M1"), make_employee(other, employee_number="O1")


def test_a_manager_imports_ledger_entries_in_scope_only(as_manager, manager_user, scoped):
    content = LEDGER + (
        "M1,leave,2026-03-02,2026-03-06,-8,spring\nO1,leave,2026-03-02,2026-03-06,-8,not mine\n"
    )
    checked = dry_run(as_manager, "ledger_entries", content)
    assert (checked["created"], checked["errors"]) == (1, 1)
    (error,) = rows(as_manager, checked["id"], "error")
    assert error["errors"][0] == {
        "field": "employee",
        "code": "unknown_reference",
        "message": "No employee with employee_number 'O1' in your scope.",
    }
    done = commit(as_manager, checked["id"], partial=True)
    assert done["created"] == 1
    (entry,) = LedgerEntry.objects.all()
    assert (entry.employee.employee_number, entry.actor_id) == ("M1", manager_user.pk)


def test_a_manager_may_not_import_employees(as_manager, scoped):
    response = upload(as_manager, "employees", "employee_number\nX\n")
    assert response.status_code == 403
    assert "ledger_entries" in response.json()["detail"]


def test_a_manager_sees_only_their_own_imports(as_manager, as_admin, scoped):
    mine = dry_run(as_manager, "ledger_entries", LEDGER + "M1,leave,2026-03-02,2026-03-06,-8,\n")
    theirs = dry_run(as_admin, "ledger_entries", LEDGER + "O1,leave,2026-03-02,2026-03-06,-8,\n")
    listed = [i["id"] for i in as_manager.get("/api/v1/imports/").json()["results"]]
    assert listed == [mine["id"]]
    assert as_manager.get(f"/api/v1/imports/{theirs['id']}/").status_code == 404
    assert as_manager.get(f"/api/v1/imports/{theirs['id']}/rows/").status_code == 404


def test_an_auditor_reads_imports_and_cannot_start_or_commit_one(as_auditor, as_admin, scoped):
    checked = dry_run(as_admin, "ledger_entries", LEDGER + "O1,leave,2026-03-02,2026-03-06,-8,\n")
    assert as_auditor.get(f"/api/v1/imports/{checked['id']}/rows/").status_code == 200
    assert upload(as_auditor, "tags", "code,label,category\nx,X,skill\n").status_code == 403
    assert as_auditor.post(f"/api/v1/imports/{checked['id']}/commit/", {}).status_code == 403


def test_an_employee_has_no_imports(as_employee):
    assert as_employee.get("/api/v1/imports/").status_code == 403
    assert as_employee.get("/api/v1/imports/templates/employees.csv").status_code == 403


def test_templates_list_the_columns(as_admin):
    for name, kind in KINDS.items():
        response = as_admin.get(f"/api/v1/imports/templates/{name}.csv")
        assert response.status_code == 200
        assert response.content.decode().strip() == ",".join(kind.columns)
    xlsx = as_admin.get("/api/v1/imports/templates/employees.xlsx")
    assert xlsx.content.startswith(b"PK")
    assert as_admin.get("/api/v1/imports/templates/payroll.csv").status_code == 404
    kinds = as_admin.get("/api/v1/imports/kinds/").json()
    assert [k["name"] for k in kinds] == list(KINDS)


def test_every_kind_is_covered_here():
    assert set(CREATES) == set(KINDS)


@pytest.mark.parametrize("kind", list(CREATES))
def test_every_kind_creates_from_a_file(as_admin, refs, kind):
    content, made = CREATES[kind]
    checked = dry_run(as_admin, kind, content)
    assert (checked["created"], checked["errors"]) == (1, 0), [
        r["errors"] for r in rows(as_admin, checked["id"])
    ]
    done = commit(as_admin, checked["id"])
    assert done["state"] == "committed", done
    assert made()
    again = dry_run(as_admin, kind, content)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 1)


def test_an_assignment_the_rules_refuse_is_an_error_row_with_its_violations(as_admin, refs):
    unit = refs[0]
    make_employee(unit, employee_number="K-CAND")  # a candidate: the default rules refuse
    content = "employee,position,start_date,weekly_hours\nK-CAND,K-P1,2026-03-02,20\n"
    checked = dry_run(as_admin, "assignments", content)
    (row,) = rows(as_admin, checked["id"], "error")
    assert row["errors"][0]["code"] == "rule_violation"
    assert {v["severity"] for v in row["violations"]} == {"error"}
    assert "candidate" in row["violations"][0]["message"]


def test_the_command_line_dry_run_then_commit(tmp_path, capsys, admin_user):
    make_unit("CLI")
    path = tmp_path / "staff.csv"
    path.write_text(
        "employee_number,first_name,last_name,org_unit,contract_hours,hire_date\n"
        "C1,Ann,Archer,CLI,40,2026-01-05\n"
    )
    with pytest.raises(SystemExit) as dry:
        call_command("import_file", "employees", str(path), "--no-progress")
    assert dry.value.code == 0
    assert "1 to create" in capsys.readouterr().out
    assert not Employee.objects.exists()

    with pytest.raises(SystemExit) as done:
        call_command("import_file", "employees", str(path), "--commit", "--as", admin_user.email)
    captured = capsys.readouterr()
    assert done.value.code == 0
    assert "committed — 1 created" in captured.out
    assert "rows/s" in captured.err  # the progress bar
    assert Employee.objects.get().employee_number == "C1"


def test_the_command_line_reports_bad_rows_and_files(tmp_path, capsys):
    make_unit("CLI")
    path = tmp_path / "staff.csv"
    path.write_text(
        "employee_number,first_name,last_name,org_unit,contract_hours,hire_date\n"
        "C1,Ann,Archer,NOWHERE,40,2026-01-05\n"
    )
    with pytest.raises(SystemExit) as bad_rows:
        call_command("import_file", "employees", str(path), "--commit", "--no-progress")
    assert bad_rows.value.code == 1
    assert "row 2 (C1): org_unit: No org unit with code 'NOWHERE'." in capsys.readouterr().err
    path.write_text("nickname\nAl\n")
    with pytest.raises(SystemExit) as bad_file:
        call_command("import_file", "employees", str(path))
    assert bad_file.value.code == 2
    assert "Unknown columns" in capsys.readouterr().err
