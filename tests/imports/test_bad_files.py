"""Bad files get clear answers at upload, and nothing is written (DESIGN.md §9, issue 18)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from apps.imports.models import Import
from apps.org.models import Employee, OrgUnit
from tests.factories.org import make_unit
from tests.imports.conftest import dry_run, rows, run_jobs, upload

pytestmark = pytest.mark.django_db

HEADER = "employee_number,first_name,last_name,org_unit,contract_hours,hire_date\n"


def refused(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code, body
    assert not Import.objects.exists()
    return body


def test_a_file_that_is_not_utf8_names_the_line(as_admin):
    content = (HEADER + "E1,Zoë,Ärger,U1,40,2026-01-05\n").encode("latin-1")
    body = refused(upload(as_admin, "employees", content), 400, "invalid_encoding")
    assert body["line"] == 2
    assert "CSV UTF-8" in body["detail"]


def test_utf8_with_a_bom_and_semicolons_is_read(as_admin):
    make_unit("U1")
    content = "\ufeff" + HEADER.replace(",", ";") + "E1;Zoë;Ärger;U1;40;2026-01-05\n"
    checked = dry_run(as_admin, "employees", content.encode("utf-8"))
    assert (checked["created"], checked["errors"]) == (1, 0)
    assert rows(as_admin, checked["id"])[0]["values"]["first_name"] == "Zoë"


def test_unknown_columns_are_named_with_the_valid_ones(as_admin):
    body = refused(
        upload(as_admin, "employees", "employee_number,nickname\nE1,Al\n"), 400, "unknown_columns"
    )
    assert body["columns"] == ["nickname"]
    assert "first_name" in body["valid"]


def test_missing_columns_are_named(as_admin):
    body = refused(
        upload(as_admin, "employees", "employee_number,first_name\nE1,Al\n"), 400, "missing_columns"
    )
    assert body["columns"] == ["last_name", "org_unit", "contract_hours", "hire_date"]


def test_a_repeated_column_is_refused(as_admin):
    refused(
        upload(as_admin, "tags", "code,label,label,category\nx,a,b,skill\n"),
        400,
        "duplicate_columns",
    )


@pytest.mark.parametrize(
    "content", ["", "\n\n", HEADER], ids=["empty", "blank lines", "header only"]
)
def test_an_empty_file_or_a_header_alone_is_refused(as_admin, content):
    refused(upload(as_admin, "employees", content), 400, "empty_file")


def test_an_unclosed_quote_is_a_malformed_file(as_admin):
    content = HEADER + 'E1,"Ann,Archer,U1,40,2026-01-05\n' + "x" * 20_000 + "\n"
    body = refused(upload(as_admin, "employees", content), 400, "malformed_file")
    assert "quote" in body["detail"]


def test_an_old_excel_file_is_refused_by_name(as_admin):
    refused(
        upload(as_admin, "employees", b"\xd0\xcf\x11\xe0 ole", name="staff.xls"),
        400,
        "unsupported_file",
    )


def test_a_file_over_the_limit_is_413_with_the_limit(as_admin, settings):
    settings.IMPORT_MAX_BYTES = 1_000
    body = refused(
        upload(as_admin, "employees", HEADER + "E1,A,B,U1,40,2026-01-05\n" * 100),
        413,
        "payload_too_large",
    )
    assert body["limit"] == 1_000


def test_a_large_declared_length_is_refused_before_the_body_is_read(as_admin, settings):
    settings.IMPORT_MAX_BYTES = 1_000
    response = as_admin.generic(
        "POST",
        "/api/v1/imports/",
        b"--x--\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
    )
    refused(response, 413, "payload_too_large")


def _xlsx(header: list[str], *data: list) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in data:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_a_zip_bomb_xlsx_is_refused_from_its_directory(as_admin):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b" " * 50_000_000 + b">")
    body = refused(
        upload(as_admin, "employees", out.getvalue(), name="bomb.xlsx"), 400, "archive_too_large"
    )
    assert "zip bomb" in body["detail"]


def test_a_damaged_xlsx_is_refused(as_admin):
    refused(
        upload(as_admin, "employees", b"PK\x03\x04 not really a zip", name="x.xlsx"),
        400,
        "malformed_file",
    )


def test_an_xlsx_is_read_with_dates_numbers_and_formulas_as_text(as_admin):
    import datetime as dt

    make_unit("U1")
    content = _xlsx(
        ["employee_number", "first_name", "last_name", "org_unit", "contract_hours", "hire_date"],
        ["E1", "Ann", "=1+1", "U1", 37.5, dt.datetime(2026, 1, 5)],
    )
    checked = dry_run(as_admin, "employees", content, name="staff.xlsx")
    assert (checked["file_format"], checked["created"], checked["errors"]) == ("xlsx", 1, 0)
    (row,) = rows(as_admin, checked["id"])
    assert row["values"]["last_name"] == "=1+1"  # the formula's text, never its value
    assert row["values"]["contract_hours"] == "37.5"
    assert row["values"]["hire_date"] == "2026-01-05"


def test_a_formula_in_a_csv_is_taken_literally(as_admin):
    make_unit("U1")
    checked = dry_run(
        as_admin, "employees", HEADER + "E1,=cmd|' /C calc'!A0,Archer,U1,40,2026-01-05\n"
    )
    assert checked["errors"] == 0
    assert rows(as_admin, checked["id"])[0]["values"]["first_name"] == "=cmd|' /C calc'!A0"


def test_dates_in_another_format_are_a_row_error_naming_the_format(as_admin):
    make_unit("U1")
    checked = dry_run(as_admin, "employees", HEADER + "E1,Ann,Archer,U1,40,05/01/2026\n")
    (row,) = rows(as_admin, checked["id"], "error")
    assert row["errors"][0]["field"] == "hire_date"
    assert "YYYY-MM-DD" in row["errors"][0]["message"]


def test_a_row_with_more_cells_than_the_header_is_an_error(as_admin):
    make_unit("U1")
    checked = dry_run(as_admin, "employees", HEADER + "E1,Ann,Archer,U1,40,2026-01-05,extra\n")
    (row,) = rows(as_admin, checked["id"], "error")
    assert row["errors"][0]["code"] == "too_many_cells"


def test_an_unknown_kind_is_a_field_error(as_admin):
    response = upload(as_admin, "payroll", HEADER)
    body = refused(response, 400, "invalid")
    assert "kind" in body["errors"]


def test_a_unit_may_name_a_parent_further_down_the_file_only_if_it_exists(as_admin):
    content = "code,name,parent\nA,Alpha,\nB,Beta,A\nC,Gamma,D\nD,Delta,\n"
    checked = dry_run(as_admin, "org_units", content)
    assert (checked["created"], checked["errors"]) == (3, 1)
    (error,) = rows(as_admin, checked["id"], "error")
    assert (error["key"], error["errors"][0]["code"]) == ("C", "unknown_reference")
    assert not OrgUnit.objects.exists()
    assert not Employee.objects.exists()


def test_a_retried_upload_over_the_json_limit_is_replayed_not_imported_twice(as_admin, settings):
    """An Idempotency-Key covers a file larger than the JSON body limit too: the body is hashed
    as it streams, and the view still reads it whole."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    make_unit("U1")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    content = (
        HEADER + "".join(f"E{i},Ann,Archer,U1,40,2026-01-05\n" for i in range(1000))
    ).encode()
    assert len(content) > 10_000

    def send():
        return as_admin.post(
            "/api/v1/imports/",
            {"kind": "employees", "file": SimpleUploadedFile("a.csv", content)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, second = send(), send()
    assert (first.status_code, second.status_code) == (202, 202)
    assert second["Idempotent-Replayed"] == "true"
    assert second.json()["id"] == first.json()["id"]
    assert Import.objects.count() == 1
    run_jobs()
    assert Import.objects.get().rows_total == 1000


def _patched_xlsx(sheet_xml: bytes) -> bytes:
    """A workbook openpyxl wrote, with its first sheet's XML replaced."""
    original = _xlsx(["code", "label", "category"], ["a", "A", "skill"])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(original)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            target.writestr(item, data)
    return out.getvalue()


SHEET = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"%s<sheetData>"
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c>'
    b'<c r="B1" t="inlineStr"><is><t>label</t></is></c>'
    b'<c r="C1" t="inlineStr"><is><t>category</t></is></c></row>'
    b"%s</sheetData></worksheet>"
)


def _row(number: int, code: bytes, label: bytes = b"<is><t>L</t></is>") -> bytes:
    return (
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>%s</t></is></c>'
        b'<c r="B%d" t="inlineStr">%s</c>'
        b'<c r="C%d" t="inlineStr"><is><t>skill</t></is></c></row>'
    ) % (number, number, code, number, label, number)


@pytest.mark.parametrize(
    "broken",
    [
        _row(2, b"a&#0;"),  # an XML character that may not be
        b'<row r="2"><c r="A2" t="n"><v>abc</v></c></row>',  # a number that is none
        b'<row r="2"><c r="A2" t="s"><v>999</v></c></row>',  # a shared string not there
    ],
    ids=["NUL entity", "bad number", "missing shared string"],
)
def test_a_workbook_broken_in_its_rows_is_a_400_at_upload(as_admin, broken):
    content = _patched_xlsx(SHEET % (b"", broken))
    refused(upload(as_admin, "tags", content, name="t.xlsx"), 400, "malformed_file")


def test_a_workbook_the_worker_finds_broken_fails_once_with_a_clear_message(admin_user):
    """What the upload's look at the first rows cannot see (here: an upload stored without its
    check) fails the import with its reason, not an internal error after five retries."""
    from apps.imports import engine
    from apps.imports.models import ImportFile

    rows_ = _row(2, b"a") + _row(3, b"c&#0;")
    content = _patched_xlsx(SHEET % (b"", rows_))
    stored = Import.objects.create(kind="tags", filename="t.xlsx", file_format="xlsx")
    ImportFile.objects.create(upload=stored, content=content, size=len(content))
    done = engine.validate(stored)
    assert done.state == "failed"
    assert "damaged" in done.error


def test_a_stale_dimension_hides_no_row(as_admin):
    rows_ = _row(2, b"a") + _row(3, b"b") + _row(4, b"c")
    content = _patched_xlsx(SHEET % (b'<dimension ref="A1:C2"/>', rows_))
    checked = dry_run(as_admin, "tags", content, name="t.xlsx")
    assert (checked["rows_total"], checked["created"]) == (3, 3)


def test_a_cell_far_down_the_sheet_is_refused(as_admin):
    """The sheet is read no further than a row past the limit (a single cell at row
    200,000,000 had the rows of the gap filled one by one)."""
    content = _patched_xlsx(SHEET % (b"", _row(200_000_000, b"far")))
    refused(upload(as_admin, "tags", content, name="t.xlsx"), 400, "too_many_rows")


def test_an_xlsx_cell_over_the_limit_is_refused(as_admin):
    content = _patched_xlsx(SHEET % (b"", _row(2, b"a", b"<is><t>" + b"x" * 20_000 + b"</t></is>")))
    refused(upload(as_admin, "tags", content, name="t.xlsx"), 400, "malformed_file")


def test_an_unclosed_quote_far_down_a_csv_is_a_400_at_upload(as_admin):
    content = (
        "code,label,category\n" + "".join(f"c{i},L,skill\n" for i in range(3000)) + 'x,"L,skill\n'
    )
    refused(upload(as_admin, "tags", content), 400, "malformed_file")


def test_one_day_in_two_spellings_is_one_key(as_admin, admin_user):
    """`20270405` is read as 2027-04-05 (the API reads it so): the ledger entry imported again in
    the other spelling is unchanged, and one file naming it both ways has a duplicate."""
    unit = make_unit("U1")
    from tests.factories.org import make_employee

    make_employee(unit, employee_number="L1")
    ledger = "employee,kind,start_date,end_date,hours_per_week,note\n"
    first = dry_run(as_admin, "ledger_entries", ledger + "L1,leave,20270405,20270409,-8,x\n")
    assert rows(as_admin, first["id"])[0]["values"]["start_date"] == "2027-04-05"
    from tests.imports.conftest import commit

    commit(as_admin, first["id"])
    again = dry_run(as_admin, "ledger_entries", ledger + "L1,leave,2027-04-05,2027-04-09,-8,x\n")
    assert (again["created"], again["unchanged"]) == (0, 1)
    both = dry_run(
        as_admin,
        "ledger_entries",
        ledger + "L1,leave,2027-05-03,2027-05-07,-8,y\nL1,leave,20270503,20270507,-8,y\n",
    )
    assert (both["created"], both["errors"]) == (1, 1)
    assert rows(as_admin, both["id"], "error")[0]["errors"][0]["code"] == "duplicate_key"
