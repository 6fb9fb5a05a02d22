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
