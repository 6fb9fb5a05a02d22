"""Coverage reads answered from a kept result, right the moment any input commits (issue 21).

Every test here commits (transaction=True): the coverage data version changes as a writing
transaction commits. A repeated read is a hit (no coverage SQL runs); a read right after each
kind of write that changes coverage shows the new numbers — the same numbers as computing with
the cache off — and never the kept ones.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext, override_settings

from apps.assignments.models import Assignment
from apps.assignments.services import assignment_update
from apps.calendars.services import calendar_create, calendar_day_create
from apps.demand import selectors
from apps.demand.selectors import COVERAGE_SQL, COVERAGE_TABLES, RESULTS, SUMMARY_SQL
from apps.demand.services import requirement_create, requirement_delete
from apps.offer.services import ledger_entry_create
from apps.org.models import Employee, Position
from apps.org.services import (
    contract_hours_add,
    employee_update,
    org_unit_update,
    position_update,
    weekly_hours_add,
)
from tests.factories.assignments import MONDAY, make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db(transaction=True)

SUMMARY = "/api/v1/coverage/summary/"
COVERAGE = "/api/v1/coverage/"
RANGE = {"from": "2026-03-02", "to": "2026-03-29"}  # W10..W13
WEDNESDAY = MONDAY + dt.timedelta(days=2)


@pytest.fixture(autouse=True)
def _fresh_results():
    RESULTS.clear()
    yield
    RESULTS.clear()


@pytest.fixture
def world(admin_user) -> dict[str, Any]:
    """Two units under a root; a 40 h position in A with a 20 h approved assignment of an
    employee of A; a second employee of B unassigned; a calendar nobody uses yet."""
    root = make_unit("ROOT")
    a = make_unit("A", parent=root)
    b = make_unit("B", parent=root)
    position = make_position(a)
    employee = make_employee(a)
    other = make_employee(b)
    assignment = make_assignment(employee, position, state="approved", start=MONDAY)
    calendar = calendar_create(
        code="five", name="Five days", week_hours=[Decimal(h) for h in (8, 8, 8, 8, 8, 0, 0)]
    )
    return {
        "root": root,
        "a": a,
        "b": b,
        "position": position,
        "employee": employee,
        "other": other,
        "assignment": assignment,
        "calendar": calendar,
        "admin": admin_user,
    }


def figures(client, url: str, **extra: str) -> list[tuple[Any, ...]]:
    response = client.get(url, {**RANGE, **extra})
    assert response.status_code == 200, response.content
    return [
        (
            r.get("org_unit") or r.get("position"),
            r["week"],
            r["required"],
            r["assigned"],
            r["holiday_hours_lost"],
            r["leave_hours_lost"],
        )
        for r in response.json()["results"]
    ]


def coverage_sql_runs(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if "generate_series" in q["sql"])


def reads(client) -> dict[str, Any]:
    """The summary per unit (depth 1) and the coverage per position, as the API answers."""
    return {
        "summary": figures(client, SUMMARY, depth="1"),
        "coverage": figures(client, COVERAGE),
    }


def uncached(client) -> dict[str, Any]:
    with override_settings(COVERAGE_CACHE=False):
        return reads(client)


def test_a_repeated_read_runs_no_coverage_sql(as_admin, world):
    first = reads(as_admin)
    with CaptureQueriesContext(connection) as queries:
        again = reads(as_admin)
    assert again == first
    assert coverage_sql_runs(queries) == 0
    assert RESULTS.hits >= 2
    assert first["summary"][0][3] == "20.00"  # the kept figure is the real one


def test_the_cache_off_computes_every_read(as_admin, world):
    reads(as_admin)
    with override_settings(COVERAGE_CACHE=False), CaptureQueriesContext(connection) as queries:
        reads(as_admin)
    assert coverage_sql_runs(queries) == 2


def test_a_read_after_a_write_elsewhere_keeps_its_result(as_admin, world):
    """Only the coverage tables change the version: a user's rename of nothing coverage reads
    (a tag, a webhook, a user) leaves the kept result in use."""
    reads(as_admin)
    from tests.factories.users import UserFactory

    UserFactory(email="someone@example.test")
    with CaptureQueriesContext(connection) as queries:
        reads(as_admin)
    assert coverage_sql_runs(queries) == 0


# Each kind of write that can change coverage, as the product makes it (its service), with
# what it must change in the figures.
def _assign(w):
    make_assignment(w["other"], w["position"], state="approved", start=MONDAY, hours="10.00")


def _assignment_hours(w):
    proposed = make_assignment(w["other"], w["position"], start=MONDAY, hours="5.00")
    reads_between(w)  # a proposed assignment counts for nothing
    assignment_update(assignment=proposed, actor=w["admin"], weekly_hours=Decimal("12.00"))
    reads_between(w)
    from apps.fsm.services import transition_cascade

    transition_cascade(subject=proposed, transition="approve", actor=w["admin"], reason="")


def _assignment_cancel(w):
    from apps.fsm.services import transition_cascade

    transition_cascade(subject=w["assignment"], transition="cancel", actor=w["admin"], reason="x")


def _requirement(w):
    requirement_create(
        position=w["position"],
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=13),
        required_hours=Decimal("60.00"),
    )


def _requirement_removed(w):
    requirement = requirement_create(
        position=w["position"],
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=6),
        required_hours=Decimal("60.00"),
    )
    requirement_delete(requirement=requirement)
    # A requirement added and removed in two transactions: the last read shows none.
    requirement_create(
        position=w["position"],
        start_date=MONDAY + dt.timedelta(days=7),
        end_date=MONDAY + dt.timedelta(days=13),
        required_hours=Decimal("10.00"),
    )


def _position_hours(w):
    weekly_hours_add(
        position=w["position"],
        valid_from=MONDAY + dt.timedelta(weeks=1),
        hours=Decimal("25"),
        actor=w["admin"],
    )


def _position_closes(w):
    position_update(position=w["position"], actor=w["admin"], end_date=WEDNESDAY)


def _position_moves(w):
    position_update(position=w["position"], actor=w["admin"], org_unit=w["b"])


def _unit_moves(w):
    org_unit_update(unit=w["a"], parent=w["b"])


def _unit_calendar(w):
    calendar_day_create(calendar=w["calendar"], date=WEDNESDAY, actor=w["admin"])
    org_unit_update(unit=w["a"], calendar=w["calendar"])


def _holiday(w):
    org_unit_update(unit=w["a"], calendar=w["calendar"])
    reads_between(w)
    calendar_day_create(calendar=w["calendar"], date=WEDNESDAY, actor=w["admin"])


def _calendar_hours(w):
    # A normal week changed changes what a part week delivers: 10 h from a Wednesday on
    # deliver 3 of 5 days' share, and 2 of 4 once Wednesday is off.
    make_assignment(w["employee"], w["position"], state="approved", start=WEDNESDAY, hours="10")
    org_unit_update(unit=w["a"], calendar=w["calendar"])
    reads_between(w)
    from apps.calendars.services import calendar_update

    week = [Decimal(h) for h in (8, 8, 0, 8, 8, 0, 0)]
    calendar_update(calendar=w["calendar"], week_hours=week, actor=w["admin"])


def _holiday_removed(w):
    day = calendar_day_create(calendar=w["calendar"], date=WEDNESDAY, actor=w["admin"])
    org_unit_update(unit=w["a"], calendar=w["calendar"])
    reads_between(w)
    from apps.calendars.services import calendar_day_delete

    calendar_day_delete(day=day, actor=w["admin"])


def _employee_moves(w):
    calendar_day_create(calendar=w["calendar"], date=WEDNESDAY, actor=w["admin"])
    org_unit_update(unit=w["b"], calendar=w["calendar"])
    reads_between(w)
    employee_update(employee=w["employee"], actor=w["admin"], org_unit=w["b"])


def _leave_in_w10(w, hours: str) -> None:
    ledger_entry_create(
        employee=w["employee"],
        kind="leave",
        start_date=MONDAY,
        end_date=MONDAY + dt.timedelta(days=6),
        hours_per_week=-Decimal(hours),
        actor=w["admin"],
    )


def _leave(w):
    _leave_in_w10(w, "40")


def _contract_hours(w):
    # Leave takes hours off the assignment only past the contract's slack: with 40 h of
    # contract, 20 h assigned and 30 h of leave, 10 h are lost; at 60 h of contract none.
    _leave_in_w10(w, "30")
    reads_between(w)
    contract_hours_add(
        employee=w["employee"], valid_from=MONDAY, hours=Decimal("60"), actor=w["admin"]
    )


_CLIENT: dict[str, Any] = {}


def reads_between(w):
    """A read between two writes of one case: the last write must still show."""
    _CLIENT["last"] = reads(_CLIENT["client"])


WRITES: dict[str, Callable[[dict[str, Any]], None]] = {
    "assignment created": _assign,
    "assignment edited and approved": _assignment_hours,
    "assignment cancelled": _assignment_cancel,
    "requirement created": _requirement,
    "requirement deleted": _requirement_removed,
    "position weekly-hours version": _position_hours,
    "position closed": _position_closes,
    "position moved to another unit": _position_moves,
    "org unit moved": _unit_moves,
    "calendar named on a unit": _unit_calendar,
    "holiday added": _holiday,
    "calendar week changed": _calendar_hours,
    "holiday removed": _holiday_removed,
    "employee moved home unit": _employee_moves,
    "leave in the ledger": _leave,
    "contract-hours version": _contract_hours,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_read_right_after_each_kind_of_write_shows_the_new_numbers(as_admin, world, write):
    _CLIENT["client"] = as_admin
    before = _CLIENT["last"] = reads(as_admin)
    assert reads(as_admin) == before  # kept
    hits = RESULTS.hits
    write(world)
    after = reads(as_admin)
    assert after == uncached(as_admin), "a kept result was answered after a write"
    assert after != _CLIENT["last"], "the write should change the figures"
    # and the new result is kept in turn
    assert reads(as_admin) == after
    assert RESULTS.hits > hits


def test_a_read_inside_the_writing_transaction_sees_its_own_write(as_admin, world):
    first = selectors.coverage_weeks(first=MONDAY, last=MONDAY, position_ids=[world["position"].pk])
    assert first[0].assigned == Decimal("20.00")
    with transaction.atomic():
        make_assignment(world["other"], world["position"], state="approved", hours="10.00")
        inside = selectors.coverage_weeks(
            first=MONDAY, last=MONDAY, position_ids=[world["position"].pk]
        )
        assert inside[0].assigned == Decimal("30.00")
        transaction.set_rollback(True)
    after = selectors.coverage_weeks(first=MONDAY, last=MONDAY, position_ids=[world["position"].pk])
    assert after[0].assigned == Decimal("20.00")


def test_a_rolled_back_write_leaves_the_version(as_admin, world):
    before = RESULTS.version("default")
    with transaction.atomic():
        make_assignment(world["other"], world["position"], state="approved", hours="10.00")
        transaction.set_rollback(True)
    assert RESULTS.version("default") == before


def test_one_transaction_of_many_writes_changes_one_slot(world):
    version, _ = RESULTS.version("default")
    with transaction.atomic():
        for _ in range(3):
            make_assignment(world["other"], world["position"], state="approved", hours="1.00")
    after, dirty = RESULTS.version("default")
    assert after != version
    assert not dirty
    changed = [a != b for a, b in zip(version.split(","), after.split(","), strict=False)]
    assert sum(changed) + abs(len(after.split(",")) - len(version.split(","))) == 1


def test_as_of_reads_keep_nothing(as_admin, world):
    from django.utils import timezone

    from apps.core.asof import as_of

    with as_of(timezone.now()):
        selectors.coverage_weeks(first=MONDAY, last=MONDAY, position_ids=[world["position"].pk])
    assert len(RESULTS) == 0


def test_every_table_the_sql_reads_bumps_the_version():
    read = set()
    for sql in (COVERAGE_SQL, SUMMARY_SQL):
        read |= set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z]+_[a-z_]+)", sql)) - {"generate_series"}
    assert read == set(COVERAGE_TABLES)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgname, t.tgdeferrable, t.tginitdeferred FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE t.tgname LIKE '%%_coverage_%%'"
        )
        triggers = cursor.fetchall()
    for table in COVERAGE_TABLES:
        assert (table, f"{table}_coverage_version", True, True) in triggers
        assert (table, f"{table}_coverage_dirty", False, False) in triggers


def test_committing_writers_never_wait_on_the_version(world):
    """T2 holds a lock on an employee and has written a position; T1 has written a position
    and then an assignment of that employee, whose foreign-key check (deferred to commit) waits
    for T2's lock. T1 commits first: its version bump, then the check, which waits. T2 then
    commits: a single version row held by T1 would make it wait for T1 — a deadlock; with slots
    taken SKIP LOCKED it takes another slot, commits, and T1 follows."""
    employee, unit = world["other"], world["b"]
    t2_ready, t1_committing = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def t1() -> None:
        try:
            t2_ready.wait(20)
            with transaction.atomic():
                make_position(unit)
                Assignment.objects.create(
                    employee=employee,
                    position=world["position"],
                    start_date=MONDAY,
                    weekly_hours=Decimal("5.00"),
                )
                t1_committing.set()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    def t2() -> None:
        try:
            with transaction.atomic():
                Employee.objects.select_for_update().get(pk=employee.pk)
                make_position(unit)
                t2_ready.set()
                t1_committing.wait(20)
                time.sleep(0.5)  # T1 is now in its commit, waiting for the employee's lock
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=t1), threading.Thread(target=t2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert Position.objects.filter(org_unit=unit).count() == 2
    assert Assignment.objects.filter(employee=employee).count() == 1
    version, _ = RESULTS.version("default")
    assert version is not None
    assert len(version.split(",")) == 2


def count_queries(queries: CaptureQueriesContext) -> int:
    return sum(1 for q in queries.captured_queries if "__count" in q["sql"])


@pytest.mark.parametrize("url", ["/api/v1/employees/", "/api/v1/positions/"])
def test_a_list_count_is_kept_until_a_write_changes_it(as_admin, world, url):
    """The page's exact count (it grows with the table; the page does not) is kept under the
    coverage data version when the list reads only its tables, and right after a write."""
    first = as_admin.get(url).json()["count"]
    with CaptureQueriesContext(connection) as queries:
        assert as_admin.get(url).json()["count"] == first
    assert count_queries(queries) == 0
    make_employee(world["a"])
    make_position(world["a"])
    assert as_admin.get(url).json()["count"] == first + 1
    # a filtered list is its own count
    assert as_admin.get(url, {"org_unit": world["b"].pk}).json()["count"] < first + 1


def test_a_list_reading_other_tables_counts_every_time(as_admin, world):
    as_admin.get("/api/v1/tags/")
    with CaptureQueriesContext(connection) as queries:
        as_admin.get("/api/v1/tags/")
    assert count_queries(queries) == 1
