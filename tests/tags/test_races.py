"""Concurrent tag writes on one employee, with real threads against PostgreSQL: the subject's
row lock keeps one unbroken chain, and a duplicate attachment loses with a 409."""

from __future__ import annotations

import datetime as dt
import itertools
import threading

import pytest

from apps.core.exceptions import Conflict
from apps.fsm.verify import verify_log
from apps.tags.models import EmployeeTag, TagChangeLog
from apps.tags.services import employee_tag_add
from tests.concurrency import THREADS, race
from tests.factories.org import make_employee, make_unit
from tests.factories.tags import make_tag


@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_keep_one_chain_per_employee(admin_user):
    employee = make_employee(make_unit())
    tags = iter([make_tag(f"skill-{i}") for i in range(THREADS)])
    lock = threading.Lock()

    def add():
        with lock:
            tag = next(tags)
        return employee_tag_add(
            employee=employee, tag=tag, level=2, valid_from=dt.date(2026, 1, 1), actor=admin_user
        )

    results = race(add)
    assert all(isinstance(r, EmployeeTag) for r in results), results
    rows = list(TagChangeLog.objects.filter(subject_id=employee.pk).order_by("id"))
    assert len(rows) == THREADS
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(rows))
    assert verify_log(TagChangeLog) == {"ok": True, "checked": THREADS, "first_broken": None}


@pytest.mark.django_db(transaction=True)
def test_exactly_one_of_concurrent_identical_adds_wins(admin_user):
    employee = make_employee(make_unit())
    tag = make_tag("forklift")
    results = race(
        lambda: employee_tag_add(
            employee=employee, tag=tag, level=2, valid_from=dt.date(2026, 1, 1), actor=admin_user
        )
    )
    wins = [r for r in results if isinstance(r, EmployeeTag)]
    losses = [r for r in results if isinstance(r, Conflict)]
    assert len(wins) == 1, results
    assert len(losses) == THREADS - 1, results
    assert all(loss.code == "duplicate_tag" for loss in losses)
    assert TagChangeLog.objects.count() == 1
