"""seed_demo attaches realistic tags: a catalogue, requirements on every position, tags on every
employee (some expiring soon), each with a verifiable change log; running it again adds nothing."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from apps.fsm.verify import verify_log
from apps.org.models import Employee, Position
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog, TagChangeLog

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_attaches_tags_with_a_verifiable_log_and_is_idempotent():
    output = seed(employees=60, positions=12, org_units=4)
    assert "seed_demo: tags" in output
    assert TagCatalog.objects.count() >= 20
    assert TagCatalog.objects.filter(active=False).exists()
    assert set(TagCatalog.objects.values_list("category", flat=True)) >= {
        "certification",
        "licence",
        "skill",
        "language",
    }
    assert not Position.objects.filter(tags__isnull=True).exists()
    assert set(PositionTag.objects.values_list("requirement", flat=True)) == {
        "required",
        "preferred",
    }
    assert not Employee.objects.filter(tags__isnull=True).exists()
    soon = dt.date.today() + dt.timedelta(weeks=11)
    assert EmployeeTag.objects.filter(
        valid_until__gte=dt.date.today(), valid_until__lte=soon
    ).exists()
    assert EmployeeTag.objects.filter(valid_until__isnull=True).exists()
    assert not EmployeeTag.objects.filter(tag__active=False).exists()
    assert set(EmployeeTag.objects.values_list("level", flat=True)) <= {1, 2, 3, 4, 5}
    logs = TagChangeLog.objects.count()
    assert logs >= EmployeeTag.objects.count() + PositionTag.objects.count()
    assert TagChangeLog.objects.filter(action="change").exists()  # some levels were raised
    assert verify_log(TagChangeLog) == {"ok": True, "checked": logs, "first_broken": None}

    counts = (EmployeeTag.objects.count(), PositionTag.objects.count(), logs)
    again = seed(employees=60, positions=12, org_units=4)
    assert "employee tags: present (0 new)" in again
    assert (
        EmployeeTag.objects.count(),
        PositionTag.objects.count(),
        TagChangeLog.objects.count(),
    ) == counts

    seed(employees=70, positions=14, org_units=4)
    assert not Employee.objects.filter(tags__isnull=True).exists()
    assert not Position.objects.filter(tags__isnull=True).exists()
    assert verify_log(TagChangeLog)["ok"] is True
