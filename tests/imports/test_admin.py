"""Imports in the admin: upload, the dry run's progress and preview, confirm; the same services
as the API, as the admin."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.models import Change
from apps.imports.models import Import
from apps.org.models import Employee
from tests.factories.org import make_unit
from tests.imports.cases import CREATES
from tests.imports.conftest import run_jobs

pytestmark = pytest.mark.django_db

CSV = (
    "employee_number,first_name,last_name,org_unit,contract_hours,hire_date\n"
    "E1,Ann,Archer,WARD,40,2026-01-05\n"
    "E2,Bob,Baker,NOWHERE,40,2026-01-05\n"
    "E3,Cy,Cole,WARD,40,2026-01-05\n"
)


def _upload(client, content=CSV, name="staff.csv"):
    return client.post(
        "/admin/imports/import/add/",
        {"kind": "employees", "file": SimpleUploadedFile(name, content.encode())},
    )


def test_upload_preview_and_a_partial_confirm(admin_client_, admin_user):
    make_unit("WARD")
    page = admin_client_.get("/admin/imports/import/add/")
    assert page.status_code == 200
    assert b"employee_number" in page.content  # the kinds and their columns are listed

    response = _upload(admin_client_)
    upload = Import.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/imports/import/{upload.pk}/change/"

    queued = admin_client_.get(response["Location"])
    assert b'http-equiv="refresh"' in queued.content  # follows the worker
    assert b'id="import-progress"' in queued.content

    run_jobs()
    preview = admin_client_.get(response["Location"])
    text = preview.content.decode()
    assert 'http-equiv="refresh"' not in text
    assert 'data-state="validated"' in text
    assert "2 of 3 rows" not in text
    assert "3 of 3 rows (100 %)" in text
    assert "No org unit with code &#x27;NOWHERE&#x27;." in text
    assert "Commit the valid rows" in text
    errors_only = admin_client_.get(response["Location"] + "?status=error").content.decode()
    assert "NOWHERE" in errors_only
    assert "Archer" not in errors_only

    csv = admin_client_.get(f"/admin/imports/import/{upload.pk}/errors.csv")
    assert b"".join(csv.streaming_content).decode().splitlines()[1].startswith("3,E2,Bob")

    confirmed = admin_client_.post(f"/admin/imports/import/{upload.pk}/commit/", {"partial": "1"})
    assert confirmed.status_code == 302
    run_jobs()
    done = admin_client_.get(response["Location"]).content.decode()
    assert 'data-state="committed"' in done
    assert sorted(Employee.objects.values_list("employee_number", flat=True)) == ["E1", "E3"]
    # Written through the services, as the admin.
    assert set(
        Change.objects.filter(entity_type="employee").values_list("actor_id", flat=True)
    ) == {admin_user.pk}


def test_a_bad_file_is_answered_on_the_form(admin_client_):
    response = _upload(admin_client_, content="nickname\nAl\n")
    assert response.status_code == 200
    assert "Unknown columns for employees" in response.content.decode()
    assert not Import.objects.exists()


def test_a_second_confirm_is_refused_with_a_message(admin_client_):
    make_unit("WARD")
    _upload(admin_client_, content=CSV.replace("NOWHERE", "WARD"))
    upload = Import.objects.get()
    run_jobs()
    admin_client_.post(f"/admin/imports/import/{upload.pk}/commit/", {})
    again = admin_client_.post(f"/admin/imports/import/{upload.pk}/commit/", {}, follow=True)
    assert "only a validated import can be committed" in again.content.decode()


def test_managers_and_auditors_do_not_reach_the_admin_imports(client, manager_user):
    manager_user.is_staff = True
    manager_user.save()
    client.force_login(manager_user)
    assert client.get("/admin/imports/import/add/").status_code == 403


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_every_kind_is_imported_through_the_admin(admin_client_, refs, kind):
    """Upload, preview (one row to create), confirm: the row is there, as the API makes it."""
    content, made = CREATES[kind]
    response = admin_client_.post(
        "/admin/imports/import/add/",
        {"kind": kind, "file": SimpleUploadedFile(f"{kind}.csv", content.encode())},
    )
    assert response.status_code == 302, response.content[:500]
    upload = Import.objects.get(kind=kind)
    run_jobs()
    preview = admin_client_.get(response["Location"]).content.decode()
    assert 'data-state="validated"' in preview
    assert preview.count('class="import-row-create"') == 1, preview
    admin_client_.post(f"/admin/imports/import/{upload.pk}/commit/", {})
    run_jobs()
    upload.refresh_from_db()
    assert (upload.state, upload.created) == ("committed", 1)
    assert made()
