"""Nothing erased: every log table refuses TRUNCATE in the database itself, as it refuses UPDATE
and DELETE of its rows (tested with each log); only bypassing the triggers, which needs the
owner, gets past, and `verify` finds what that changed (tests/audit_log/test_api.py)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from apps.assignments.models import AssignmentTransitionLog
from apps.audit_log.verification import verify_all
from apps.fsm.models import EmployeeTransitionLog
from apps.offer.models import LedgerEntry
from apps.tags.models import TagChangeLog

pytestmark = pytest.mark.django_db


def truncate(table: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks in the way
        cursor.execute(f"TRUNCATE {table} CASCADE")


LOGS = [EmployeeTransitionLog, AssignmentTransitionLog, LedgerEntry, TagChangeLog]


@pytest.mark.parametrize("log", LOGS, ids=lambda m: m._meta.db_table)
def test_truncate_is_refused(log):
    table = log._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"):
        truncate(table)


def test_a_refused_truncate_leaves_the_rows_and_the_chains(admin_user):
    from apps.fsm.services import transition_apply
    from tests.factories.org import make_employee, make_unit

    employee = make_employee(make_unit())
    transition_apply(subject=employee, transition="start_onboarding", actor=admin_user)
    table = EmployeeTransitionLog._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"):
        truncate(table)
    assert EmployeeTransitionLog.objects.filter(subject=employee).count() == 1
    assert verify_all()["ok"] is True


# --- the application's role owns no table --------------------------------------------------------

TABLES = [*(m._meta.db_table for m in LOGS), "core_change", "org_employee"]


def _as_app_role(statement: str) -> None:
    """Run `statement` as coveris_app (the role `make run` and production serve with)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE coveris_app")
        cursor.execute(statement)


@pytest.mark.parametrize("table", TABLES)
def test_the_app_role_cannot_disable_a_trigger(table):
    with pytest.raises(DatabaseError, match="must be owner"):
        _as_app_role(f"ALTER TABLE {table} DISABLE TRIGGER ALL")


@pytest.mark.parametrize("table", TABLES)
def test_the_app_role_cannot_truncate(table):
    with pytest.raises(DatabaseError, match="permission denied"):
        _as_app_role(f"TRUNCATE {table} CASCADE")


def test_the_app_role_cannot_switch_the_triggers_off_for_its_session():
    with pytest.raises(DatabaseError, match="permission denied"):
        _as_app_role("SET session_replication_role = replica")


def test_the_app_role_reads_and_writes_rows_and_its_writes_are_captured():
    from apps.core.models import Change

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL ROLE coveris_app")
        cursor.execute(
            "INSERT INTO org_orgunit (code, name, path, active, updated_at)"
            " VALUES ('APPROLE', 'Via app role', '/', true, now()) RETURNING id"
        )
        (unit_id,) = cursor.fetchone()
        cursor.execute("RESET ROLE")
    assert Change.objects.filter(
        entity_type="org_unit", entity_id=unit_id, action="create"
    ).exists()


# --- recorded times come from the database clock -------------------------------------------------


def test_a_log_row_is_dated_by_the_database_whatever_the_code_passes(admin_user):
    import datetime as dt

    from apps.fsm.services import transition_apply
    from tests.factories.org import make_employee, make_unit

    employee = make_employee(make_unit())
    transition_apply(subject=employee, transition="start_onboarding", actor=admin_user)
    row = EmployeeTransitionLog.objects.get(subject=employee)
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (db_now,) = cursor.fetchone()
    assert row.at <= db_now
    forged = EmployeeTransitionLog.append(
        subject=employee,
        transition="x",
        from_state="a",
        to_state="b",
        at=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
    )
    assert forged.at.year == db_now.year


@pytest.mark.parametrize("log", [*LOGS, "core_change"], ids=str)
def test_a_row_dated_in_the_future_is_refused(log):
    table = log if isinstance(log, str) else log._meta.db_table
    # Only the date matters: the trigger runs before any other check of the row.
    statement = f"INSERT INTO {table} (at) VALUES (clock_timestamp() + interval '1 day')"
    with pytest.raises(DatabaseError, match="future"), transaction.atomic():
        connection.cursor().execute(statement)


def test_the_app_role_cannot_write_a_change_row_itself():
    with pytest.raises(DatabaseError, match="permission denied"):
        _as_app_role(
            "INSERT INTO core_change (entity_type, entity_id, action, changes, subject_type,"
            " subject_id, at, request_id, reason, prev_hash, hash)"
            " VALUES ('org_unit', 1, 'create', '{}', 'org_unit', 1, now(), '', '', '', 'x')"
        )
