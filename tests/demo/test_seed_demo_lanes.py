"""seed_demo on several connections at once (apps/demo/lanes.py): chunks committed by other
connections, in any order, still give complete data whose every chain verifies, with every row
captured in the change log (and its events), attributed as the seed; running it again adds
nothing."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.core.capture import verify_changes
from apps.core.models import Change
from apps.events.models import Event
from apps.fsm.models import EmployeeTransitionLog
from apps.fsm.verify import verify_log
from apps.leave.models import LeaveEntitlement
from apps.offer.models import LedgerEntry
from apps.org.models import ContractHours, Employee
from apps.tags.models import EmployeeTag, PositionTag, TagChangeLog

# Not inside the test's transaction: the lanes' own connections must see the rows committed.
pytestmark = pytest.mark.django_db(transaction=True)


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, lanes=3, **options)
    return out.getvalue()


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of a few rows, so that three lanes each get several."""
    from apps.demo import assignments, leave, org, tags

    for module in (org, assignments, tags, leave):
        monkeypatch.setattr(module, "BATCH", 7)


def test_lanes_write_complete_verifiable_captured_data(small_chunks):
    output = seed(employees=60, positions=12, org_units=4)
    assert "employees: 60/60 new" in output
    assert "assignments: 120/120 new" in output
    assert "ledger entries: 60/60 new" in output
    assert "seed_demo: organisation: " in output  # each phase's seconds
    assert Employee.objects.count() == 60
    assert ContractHours.objects.count() == 60
    assert Assignment.objects.count() == 120
    assert LedgerEntry.objects.filter(request_id="seed_demo").count() == 60  # + a leave one
    assert not Employee.objects.filter(tags__isnull=True).exists()
    assert LeaveEntitlement.objects.count() == 120
    for log in (EmployeeTransitionLog, AssignmentTransitionLog, LedgerEntry, TagChangeLog):
        assert verify_log(log)["ok"] is True, log
    assert verify_changes()["ok"] is True
    # Every captured row is in the change log, as created by the seed, and is an event.
    for entity_type, count in (
        ("position", 12),
        ("weekly_hours", 12),
        ("employee", 60),
        ("contract_hours", 60),
        ("assignment", 120),
        ("employee_tag", EmployeeTag.objects.count()),
        ("position_tag", PositionTag.objects.count()),
        ("leave_entitlement", 120),
    ):
        changes = Change.objects.filter(entity_type=entity_type, action="create")
        assert changes.count() == count, entity_type
        assert set(changes.values_list("reason", flat=True)) == {"seed_demo: demo data"}
        assert set(changes.values_list("actor_id", flat=True)) == {None}
    assert Event.objects.filter(uid__startswith="change:").count() == Change.objects.count()
    assert (
        Event.objects.filter(uid__startswith="employee_transition:").count()
        == EmployeeTransitionLog.objects.count()
    )

    counts = (Change.objects.count(), TagChangeLog.objects.count(), Assignment.objects.count())
    again = seed(employees=60, positions=12, org_units=4)
    assert "(0 new)" in again
    assert (
        Change.objects.count(),
        TagChangeLog.objects.count(),
        Assignment.objects.count(),
    ) == counts
