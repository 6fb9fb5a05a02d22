"""Every change captured (DESIGN §7): for each tracked model, a create, an update and a delete,
whether through a service, `QuerySet.update()`, `bulk_create` or raw SQL on the app's connection,
leave exactly one entry in the change log, attributed, with the field-level changes, in the
entity's hash chain; `verify` finds what an owner changes behind the triggers' back."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from apps.audit_log.models import EntityType
from apps.audit_log.verification import verify_all
from apps.business_rules.models import BusinessRule
from apps.core.capture import GENESIS, acting_as, tracked_models, verify_changes
from apps.core.models import Change
from apps.demand.models import CoverageRequirement
from apps.org.models import ContractHours, ManagerScope, WeeklyHours
from tests.factories.assignments import make_assignment
from tests.factories.org import make_employee, make_position, make_unit
from tests.factories.tags import give_tag, make_tag, need_tag
from tests.factories.users import UserFactory

pytestmark = pytest.mark.django_db


def _requirement() -> CoverageRequirement:
    return CoverageRequirement.objects.create(
        position=make_position(make_unit()),
        start_date=dt.date(2026, 3, 2),
        end_date=dt.date(2026, 3, 29),
        required_hours=Decimal("30.00"),
    )


def _rule() -> BusinessRule:
    return BusinessRule.objects.create(
        code="capture-test", name="Capture test", kind="max_weekly_hours", params={"max_hours": 48}
    )


def _contract_hours() -> ContractHours:
    return make_employee(make_unit()).contract_hours_versions.get()


def _weekly_hours() -> WeeklyHours:
    return make_position(make_unit()).weekly_hours_versions.get()


def _scope() -> ManagerScope:
    return ManagerScope.objects.create(user=UserFactory(role="manager"), org_unit=make_unit())


def _calendar() -> Any:
    from apps.calendars.models import WorkCalendar

    return WorkCalendar.objects.create(code=f"cal-{WorkCalendar.objects.count()}", name="Office")


def _calendar_day() -> Any:
    from apps.calendars.models import CalendarDay

    return CalendarDay.objects.create(calendar=_calendar(), date=dt.date(2026, 5, 1), hours=0)


def _webhook() -> Any:
    from apps.events.models import Webhook

    return Webhook.objects.create(url="https://hooks.example.test/x", secret_encrypted="sealed")


def _gap_threshold() -> Any:
    from apps.events.models import GapThreshold

    return GapThreshold.objects.create(org_unit=make_unit(), hours=Decimal("4.00"))


def _leave_request() -> Any:
    from apps.leave.models import LeaveRequest

    return LeaveRequest.objects.create(
        employee=make_employee(make_unit()),
        start_date=dt.date(2027, 3, 1),
        end_date=dt.date(2027, 3, 5),
        hours=Decimal("28.57"),
    )


def _leave_entitlement() -> Any:
    from apps.leave.models import LeaveEntitlement

    return LeaveEntitlement.objects.create(
        employee=make_employee(make_unit()), year=2027, hours=Decimal("200.00")
    )


# entity type -> (make one, a column to change, its new value, the value as recorded)
SUBJECTS: dict[str, tuple[Callable[[], Any], str, Any, Any]] = {
    "org_unit": (make_unit, "name", "Renamed", "Renamed"),
    "position": (lambda: make_position(make_unit()), "title", "Night nurse", "Night nurse"),
    "employee": (lambda: make_employee(make_unit()), "last_name", "Jones", "Jones"),
    "contract_hours": (_contract_hours, "note", "corrected", "corrected"),
    "weekly_hours": (_weekly_hours, "note", "corrected", "corrected"),
    "coverage_requirement": (_requirement, "required_hours", Decimal("12.50"), 12.5),
    "business_rule": (_rule, "name", "Renamed rule", "Renamed rule"),
    "tag": (make_tag, "label", "Renamed tag", "Renamed tag"),
    "employee_tag": (lambda: give_tag(make_employee(make_unit()), make_tag()), "level", 5, 5),
    "position_tag": (lambda: need_tag(make_position(make_unit()), make_tag()), "min_level", 4, 4),
    "user": (UserFactory, "full_name", "Renamed User", "Renamed User"),
    "work_calendar": (_calendar, "name", "Renamed calendar", "Renamed calendar"),
    "calendar_day": (_calendar_day, "hours", Decimal("4.00"), 4.0),
    "webhook": (_webhook, "description", "HRIS", "HRIS"),
    "gap_threshold": (_gap_threshold, "hours", Decimal("6.00"), 6.0),
    "leave_request": (_leave_request, "note", "Family visit", "Family visit"),
    "leave_entitlement": (_leave_entitlement, "hours", Decimal("160.00"), 160.0),
    "assignment": (
        lambda: make_assignment(make_employee(make_unit()), make_position(make_unit())),
        "weekly_hours",
        Decimal("10.00"),
        10.0,
    ),
}


def entity_of(obj: Any) -> tuple[str, int]:
    tracking = type(obj).audit_tracking
    return tracking.entity_type, getattr(
        obj, tracking.id_column
    ) if tracking.id_column != "id" else obj.pk


def changes_of(obj: Any):
    entity_type, entity_id = entity_of(obj)
    return Change.objects.filter(entity_type=entity_type, entity_id=entity_id).order_by("id")


def test_every_tracked_model_is_exercised_here_and_is_an_entity_type():
    kinds = {m.audit_tracking.entity_type for m in tracked_models()}
    assert kinds == set(SUBJECTS) | {"user"}
    assert kinds <= set(EntityType.values)


def test_every_model_is_tracked_or_a_log_or_framework_state():
    # A new model is either recorded or knowingly left out here.
    untracked = {
        "admin.LogEntry",
        "auth.Group",
        "auth.Permission",
        "contenttypes.ContentType",
        "sessions.Session",
        "token_blacklist.BlacklistedToken",
        "token_blacklist.OutstandingToken",
        # Requests, not facts: the answer an Idempotency-Key replays (kept 24 hours).
        "core.IdempotencyKey",
        # Derived state: random tokens that change as coverage inputs commit (apps.core.versions).
        "core.DataVersion",
        # django-axes: login attempts, successes and failures, itself the record of logins.
        "axes.AccessAttempt",
        "axes.AccessAttemptExpiration",
        "axes.AccessFailureLog",
        "axes.AccessLog",
        # The task queue's own state (procrastinate): what is to run, not what happened; an
        # import's facts are recorded by the services it calls.
        "procrastinate.ProcrastinateJob",
        "procrastinate.ProcrastinateEvent",
        "procrastinate.ProcrastinatePeriodicDefer",
        "procrastinate.ProcrastinateWorker",
        # An import is the request that asked for its rows' changes (its request id is on each
        # of them); the rows' facts are recorded by the services the commit calls.
        "imports.Import",
        "imports.ImportFile",
        "imports.ImportRow",
        # The outbox is the audit entries again, as events; deliveries, their attempts and the
        # dispatcher's cursor are the state of sending them, not facts of the organisation.
        "events.Event",
        "events.Delivery",
        "events.Attempt",
        "events.DispatchCursor",
        # Logs themselves, each a hash chain of its own.
        "core.Change",
        "audit_log.AuditEntry",
        "fsm.EmployeeTransitionLog",
        "assignments.AssignmentTransitionLog",
        "leave.LeaveTransitionLog",
        "offer.LedgerEntry",
        "tags.TagChangeLog",
    }
    labels = {m._meta.label for m in apps.get_models() if not m._meta.proxy}
    tracked = {m._meta.label for m in tracked_models()}
    assert labels - tracked - untracked == set()


def test_every_tracked_table_carries_the_trigger_with_its_tracking():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, t.tgargs FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE t.tgname LIKE '%%_capture'"
        )
        installed = {table: bytes(args).split(b"\x00")[:-1] for table, args in cursor.fetchall()}
    for model in tracked_models():
        args = [a.encode() for a in model.audit_tracking.trigger_args()]
        assert installed.get(model._meta.db_table) == args, model._meta.label


@pytest.mark.parametrize("entity_type", sorted(SUBJECTS))
def test_create_then_update_then_raw_sql_each_leave_one_attributed_chained_entry(
    entity_type, admin_user
):
    make, column, value, recorded = SUBJECTS[entity_type]
    with acting_as(admin_user, reason="set up"):
        obj = make()
    model = type(obj)
    created = changes_of(obj).filter(action="create")
    assert created.count() == 1
    first = created.get()
    assert first.actor_id == admin_user.pk
    assert first.reason == "set up"
    assert first.prev_hash == GENESIS
    before = changes_of(obj).count()

    with acting_as(admin_user, reason="by update()"):
        model.objects.filter(pk=obj.pk).update(**{column: value})
    rows = list(changes_of(obj))
    assert len(rows) == before + 1
    update = rows[-1]
    assert (update.action, update.actor_id, update.reason) == (
        "update",
        admin_user.pk,
        "by update()",
    )
    field = model._meta.get_field(column).column
    assert update.changes[field][1] == recorded
    assert update.prev_hash == rows[-2].hash

    original = getattr(obj, column)
    with acting_as(admin_user, reason="by hand"), connection.cursor() as cursor:
        table = model._meta.db_table
        cursor.execute(f"UPDATE {table} SET {field} = {field} WHERE id = %s", [obj.pk])
        assert changes_of(obj).count() == before + 1  # nothing changed: nothing recorded
        cursor.execute(f"UPDATE {table} SET {field} = %s WHERE id = %s", [original, obj.pk])
    rows = list(changes_of(obj))
    assert len(rows) == before + 2
    by_hand = rows[-1]
    assert (by_hand.action, by_hand.actor_id, by_hand.reason) == (
        "update",
        admin_user.pk,
        "by hand",
    )
    assert list(by_hand.changes) == [field]
    assert by_hand.changes[field][0] == recorded
    assert by_hand.prev_hash == update.hash
    assert verify_changes()["ok"] is True


DELETABLE = {
    "org_unit": make_unit,
    "coverage_requirement": _requirement,
    "business_rule": _rule,
    "tag": make_tag,
    "position_tag": lambda: need_tag(make_position(make_unit()), make_tag()),
    "user": UserFactory,
}


@pytest.mark.parametrize("entity_type", sorted(DELETABLE))
def test_a_delete_is_one_entry_with_the_old_values(entity_type, admin_user):
    obj = DELETABLE[entity_type]()
    entity_id = obj.pk
    with acting_as(admin_user):
        type(obj).objects.filter(pk=obj.pk).delete()
    row = Change.objects.filter(entity_type=entity_type, entity_id=entity_id).latest("id")
    assert row.action == "delete"
    assert row.actor_id == admin_user.pk
    assert row.changes["id"] == [entity_id, None]
    assert verify_changes()["ok"] is True


def test_bulk_create_records_one_create_per_row(admin_user):
    from apps.tags.models import TagCatalog

    with acting_as(admin_user, reason="import"):
        made = TagCatalog.objects.bulk_create(
            [TagCatalog(code=f"bulk-{i}", label=f"Bulk {i}", category="skill") for i in range(5)]
        )
    rows = Change.objects.filter(entity_type="tag", entity_id__in=[t.pk for t in made])
    assert rows.count() == 5
    assert {r.action for r in rows} == {"create"}
    assert {r.actor_id for r in rows} == {admin_user.pk}
    assert {r.changes["code"][1] for r in rows} == {f"bulk-{i}" for i in range(5)}


def test_a_bulk_insert_of_ten_thousand_rows_in_one_transaction_is_recorded_whole():
    # One lock per row held to the commit would exhaust the lock table (about 6,400 slots by
    # default) long before an import of 100,000 rows.
    from apps.tags.models import TagCatalog

    with transaction.atomic():
        TagCatalog.objects.bulk_create(
            [
                TagCatalog(code=f"many-{i}", label=f"Many {i}", category="skill")
                for i in range(10_000)
            ],
            batch_size=10_000,
        )
    assert Change.objects.filter(entity_type="tag", action="create").count() >= 10_000


def test_a_password_is_never_recorded_and_a_password_change_records_nothing():
    user = UserFactory()
    created = changes_of(user).get()
    assert "password" not in created.changes
    assert "last_login" not in created.changes
    user.set_password("a-new-secret-1234")
    user.last_login = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    user.save()
    assert changes_of(user).count() == 1


def test_a_managers_scope_is_recorded_as_a_change_of_the_user(admin_user):
    manager = UserFactory(role="manager")
    unit = make_unit()
    with acting_as(admin_user):
        link = ManagerScope.objects.create(user=manager, org_unit=unit)
        link.delete()
    rows = list(changes_of(manager))[-2:]
    assert [(r.action, r.changes) for r in rows] == [
        ("update", {"scope": [None, unit.pk]}),
        ("update", {"scope": [unit.pk, None]}),
    ]
    assert rows[1].prev_hash == rows[0].hash


def test_writes_outside_any_context_are_recorded_without_an_actor():
    unit = make_unit()
    row = changes_of(unit).get()
    assert (row.actor_id, row.request_id, row.reason) == (None, "", "")


def test_a_context_does_not_outlive_its_block(admin_user):
    with acting_as(admin_user, reason="inside"):
        make_unit()
    unit = make_unit()
    row = changes_of(unit).get()
    assert (row.actor_id, row.reason) == (None, "")


def test_recorded_times_come_from_the_database_clock():
    unit = make_unit()
    row = changes_of(unit).get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_timestamp()")
        (db_now,) = cursor.fetchone()
    assert row.at <= db_now


def test_the_change_log_refuses_update_delete_and_truncate():
    make_unit()
    for statement in (
        "UPDATE core_change SET reason = 'x'",
        "DELETE FROM core_change",
        "TRUNCATE core_change",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)


def _as_owner_behind_the_triggers(sql: str, params: list[Any]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


def test_verify_finds_an_owner_edit_of_a_change():
    unit = make_unit()
    type(unit).objects.filter(pk=unit.pk).update(name="Second name")
    target = changes_of(unit).last()
    assert verify_all()["ok"] is True
    _as_owner_behind_the_triggers(
        "UPDATE core_change SET changes = %s::jsonb WHERE id = %s",
        ['{"name": ["Unit", "Forged"]}', target.pk],
    )
    result = verify_all()
    assert result["ok"] is False
    assert result["first_broken"]["table"] == "core_change"
    assert result["first_broken"]["id"] == target.pk


def test_verify_finds_a_removed_change():
    unit = make_unit()
    type(unit).objects.filter(pk=unit.pk).update(name="Second")
    type(unit).objects.filter(pk=unit.pk).update(name="Third")
    _first, second, third = changes_of(unit)
    _as_owner_behind_the_triggers("DELETE FROM core_change WHERE id = %s", [second.pk])
    result = verify_changes()
    assert result["ok"] is False
    assert result["first_broken"]["id"] == third.pk


@pytest.mark.django_db(transaction=True)
def test_concurrent_updates_of_one_entity_keep_one_chain():
    from apps.tags.models import TagCatalog
    from tests.concurrency import race

    tag = make_tag()
    counter = iter(range(100))

    def rename() -> None:
        with transaction.atomic():
            TagCatalog.objects.filter(pk=tag.pk).update(label=f"Label {next(counter)}")

    results = race(rename)
    assert [r for r in results if r is not None] == []
    rows = list(changes_of(tag))
    assert len(rows) == 1 + len(results)
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert verify_changes()["ok"] is True
