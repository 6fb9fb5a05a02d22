"""The outbox (DESIGN §10): every audit entry is also a CloudEvent, written in the same
transaction by the database; the event table refuses UPDATE, DELETE and TRUNCATE."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from apps.audit_log.models import AuditEntry
from apps.events import cloud, types
from apps.events.models import Event
from apps.fsm.lifecycles import lifecycles
from apps.fsm.services import transition_apply
from apps.offer.services import ledger_entry_create
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit

pytestmark = pytest.mark.django_db


def _events_of(subject: str) -> list[Event]:
    return list(Event.objects.filter(subject=subject).order_by("id"))


def test_every_audit_entry_is_an_event_with_its_uid(admin_user):
    unit = make_unit()
    employee = make_employee(unit)
    transition_apply(subject=employee, transition="start_onboarding", actor=admin_user)
    position = make_position(unit)
    assignment = make_assignment(employee, position, state="approved", actor=admin_user)

    audit_uids = set(AuditEntry.objects.values_list("uid", flat=True))
    event_uids = set(Event.objects.values_list("uid", flat=True))
    assert audit_uids - event_uids == set(), "audit entries without an event"
    assert event_uids - audit_uids == set(), "events without an audit entry"
    kinds = [e.type for e in _events_of(f"assignment/{assignment.pk}")]
    assert "coveris.assignment.created" in kinds
    assert "coveris.assignment.approved" in kinds
    onboarding = Event.objects.get(type="coveris.employee.onboarding_started")
    assert onboarding.subject == f"employee/{employee.pk}"
    assert onboarding.org_unit_id == unit.pk
    assert onboarding.data["from_state"] == "candidate"
    assert onboarding.data["actor"] == admin_user.pk


def test_an_assignment_event_names_its_positions_unit(admin_user):
    home, other = make_unit(), make_unit()
    assignment = make_assignment(make_employee(home), make_position(other), actor=admin_user)
    event = Event.objects.filter(subject=f"assignment/{assignment.pk}").first()
    assert event.org_unit_id == other.pk


def test_a_deleted_rows_event_keeps_its_unit(admin_user):
    unit = make_unit()
    position = make_position(unit)
    import datetime as dt

    from apps.demand.models import CoverageRequirement

    requirement = CoverageRequirement.objects.create(
        position=position,
        start_date=dt.date(2027, 1, 4),
        end_date=dt.date(2027, 1, 31),
        required_hours=10,
    )
    requirement.delete()
    deleted = Event.objects.get(type="coveris.coverage_requirement.deleted")
    assert deleted.subject == f"position/{position.pk}"
    assert deleted.org_unit_id == unit.pk


def test_ledger_and_tag_entries_are_events(admin_user):
    import datetime as dt
    from decimal import Decimal

    employee = make_employee(make_unit())
    ledger_entry_create(
        employee=employee,
        kind="leave",
        start_date=dt.date(2027, 1, 4),
        end_date=dt.date(2027, 1, 10),
        hours_per_week=Decimal("-8"),
        note="x",
        actor=admin_user,
    )
    event = Event.objects.get(type="coveris.ledger_entry.created")
    assert event.subject == f"employee/{employee.pk}"
    assert event.data["hours_per_week"] == "-8.00"
    assert event.data["kind"] == "leave"


def test_rolled_back_writes_leave_no_event(admin_user):
    before = Event.objects.count()

    def write_then_fail() -> None:
        with transaction.atomic():
            make_unit()
            raise RuntimeError

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert Event.objects.count() == before


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE events_event SET type = 'x'",
        "DELETE FROM events_event",
        "TRUNCATE events_event CASCADE",
    ],
)
def test_the_event_table_refuses_edits(admin_user, statement):
    make_unit()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)


def test_events_render_as_cloudevents(admin_user):
    unit = make_unit()
    event = Event.objects.get(subject=f"org_unit/{unit.pk}")
    body = cloud.as_dict(event)
    assert body["specversion"] == "1.0"
    assert body["id"] == event.uid
    assert body["type"] == "coveris.org_unit.created"
    assert body["source"] == "urn:coveris"
    assert body["subject"] == f"org_unit/{unit.pk}"
    assert body["time"].endswith("Z")
    assert body["data"]["changes"]["code"] == [None, unit.code]


def test_the_database_names_transitions_as_the_catalogue_does():
    names = {"create", "update", "delete", "add", "change", "remove"}
    for lifecycle in lifecycles():
        names.update(lifecycle.all_transitions())
        names.update(lifecycle.logged_outside)
    with connection.cursor() as cursor:
        for name in sorted(names):
            cursor.execute("SELECT coveris_event_verb(%s)", [name])
            assert cursor.fetchone()[0] == types.verb(name), name
