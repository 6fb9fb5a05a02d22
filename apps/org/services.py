"""Services that change the organisation: org units (tree), positions, employees, and the
dated versions of their hours (contract hours, weekly hours)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import ProblemError
from apps.core.services import model_update, model_validate
from apps.org.models import ContractHours, Employee, HoursVersion, OrgUnit, Position, WeeklyHours
from apps.users.models import User


def _locked(model: type[Any], pk: Any) -> Any:
    return model.objects.select_for_update(of=("self",)).get(pk=pk)


@transaction.atomic
def org_unit_create(
    *,
    code: str,
    name: str,
    parent: OrgUnit | None = None,
    active: bool = True,
    calendar: Any = None,
) -> OrgUnit:
    """A new unit; its path is its parent's path plus its own id, taken from the sequence first
    so that the unit is written once (one insert, one entry in the change log)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [OrgUnit._meta.db_table])
        (pk,) = cursor.fetchone()
    path = f"{parent.path if parent else '/'}{pk}/"
    return OrgUnit.objects.create(
        pk=pk, code=code, name=name, parent=parent, active=active, path=path, calendar=calendar
    )


@transaction.atomic
def org_unit_update(*, unit: OrgUnit, if_match: str | None = None, **fields: Any) -> OrgUnit:
    """Change a unit; moving it under a new parent moves its whole subtree (no cycles)."""
    locked = _locked(OrgUnit, unit.pk)
    check_if_match(locked, if_match)
    new_parent = fields.pop("parent", locked.parent)
    if new_parent is not None and new_parent.pk != locked.parent_id:
        new_parent = OrgUnit.objects.select_for_update().get(pk=new_parent.pk)
        if new_parent.path.startswith(locked.path):
            # A ProblemError, not a ValidationError: field errors all share the code "invalid",
            # and clients need to tell a cycle apart.
            message = "An org unit cannot be moved under itself or its own subtree."
            raise ProblemError(message, code=ErrorCode.CYCLE, errors={"parent": [message]})
    old_path = locked.path
    new_path = f"{new_parent.path if new_parent else '/'}{locked.pk}/"
    model_update(instance=locked, data={**fields, "parent": new_parent})
    if new_path != old_path:
        # One UPDATE re-roots the whole subtree.
        OrgUnit.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1))
        )
        locked.refresh_from_db()
    return locked


@attributed
@transaction.atomic
def position_create(*, actor: User | None = None, **fields: Any) -> Position:
    """A new position, with its first weekly-hours version (valid from its start date)."""
    position = Position(**fields)
    model_validate(position)
    position.save()
    _append_version(
        WEEKLY_HOURS,
        position,
        valid_from=position.start_date,
        hours=position.weekly_hours,
        note="",
        actor=actor,
    )
    return position


@attributed
@transaction.atomic
def position_update(
    *,
    position: Position,
    if_match: str | None = None,
    actor: User | None = None,
    **fields: Any,
) -> Position:
    """Change a position (If-Match honoured); new weekly hours are a version valid from today
    (from the start date, when that is later)."""
    locked = _locked(Position, position.pk)
    check_if_match(locked, if_match)
    hours = fields.pop("weekly_hours", locked.weekly_hours)
    model_update(instance=locked, data=fields)
    if hours != locked.weekly_hours:
        valid_from = max(timezone.localdate(), locked.start_date)
        _append_version(
            WEEKLY_HOURS, locked, valid_from=valid_from, hours=hours, note="", actor=actor
        )
    return locked


@attributed
@transaction.atomic
def employee_create(*, actor: User | None = None, **fields: Any) -> Employee:
    """A new employee, with their first contract-hours version (valid from the hire date);
    they start as a candidate."""
    (employee,) = employees_create(rows=[fields], actor=actor)
    return employee


@attributed
@transaction.atomic
def employees_create(
    *, rows: Sequence[Mapping[str, Any]], actor: User | None = None
) -> list[Employee]:
    """New employees (what `employee_create` makes of each `rows` item): each validated, a
    candidate, with a first contract-hours version valid from the hire date, which is the
    version in force (the employee's `contract_hours`). One INSERT for the employees and one
    for their versions, whatever their number (a bulk import's chunk); the capture trigger
    records every row."""
    employees = []
    for fields in rows:
        employee = Employee(**{k: v for k, v in fields.items() if k != "state"})
        model_validate(employee)
        employees.append(employee)
    Employee.objects.bulk_create(employees)
    by = actor if getattr(actor, "pk", None) else None
    versions = [
        ContractHours(employee=e, valid_from=e.hire_date, hours=e.contract_hours, note="", actor=by)
        for e in employees
    ]
    for version in versions:
        model_validate(version)
    ContractHours.objects.bulk_create(versions)
    return employees


@attributed
@transaction.atomic
def employee_update(
    *,
    employee: Employee,
    if_match: str | None = None,
    actor: User | None = None,
    **fields: Any,
) -> Employee:
    """Change an employee's data (never the state: that is what transitions are for); new
    contract hours are a version valid from today (from the hire date, when that is later)."""
    fields.pop("state", None)
    locked = _locked(Employee, employee.pk)
    check_if_match(locked, if_match)
    hours = fields.pop("contract_hours", locked.contract_hours)
    model_update(instance=locked, data=fields)
    if hours != locked.contract_hours:
        valid_from = max(timezone.localdate(), locked.hire_date)
        _append_version(
            CONTRACT_HOURS, locked, valid_from=valid_from, hours=hours, note="", actor=actor
        )
    return locked


# Dated master data (DESIGN.md §7): versions are appended, never changed; the figure on the
# employee / position is the version in force today (the first one, before it starts).


@dataclass(frozen=True)
class _Dated:
    """How one kind of version relates to its subject."""

    version: type[ContractHours] | type[WeeklyHours]
    figure: str  # the subject's field that shows the version in force today
    starts: str  # the subject's first day: no version may start before it
    starts_label: str


CONTRACT_HOURS = _Dated(ContractHours, "contract_hours", "hire_date", "hire date")
WEEKLY_HOURS = _Dated(WeeklyHours, "weekly_hours", "start_date", "start date")


def _in_force(dated: _Dated, subject: Any, day: dt.date) -> Decimal | None:
    """The hours of `subject`'s version in force on `day`, else of its first version."""
    versions = dated.version.objects.filter(**{dated.version.subject_field: subject})
    current = (
        versions.filter(valid_from__lte=day).order_by("-valid_from", "-recorded_at", "-id").first()
        or versions.order_by("valid_from", "-recorded_at", "-id").first()
    )
    return getattr(current, "hours", None)


@attributed
def _append_version(
    dated: _Dated,
    subject: Any,
    *,
    valid_from: dt.date,
    hours: Decimal,
    note: str,
    actor: User | None,
) -> HoursVersion:
    """Append a version of `subject` (locked by the caller) and keep its figure in force today."""
    if valid_from < getattr(subject, dated.starts):
        message = f"A version cannot start before the {dated.starts_label}."
        raise ValidationError({"valid_from": ValidationError(message, code=ErrorCode.BEFORE_START)})
    version = dated.version(
        **{dated.version.subject_field: subject},
        valid_from=valid_from,
        hours=hours,
        note=note,
        actor=actor if getattr(actor, "pk", None) else None,
    )
    model_validate(version)
    version.save()
    figure = _in_force(dated, subject, timezone.localdate())
    if figure is not None and figure != getattr(subject, dated.figure):
        model_update(instance=subject, data={dated.figure: figure})
    return version


@attributed
@transaction.atomic
def contract_hours_add(
    *,
    employee: Employee,
    valid_from: dt.date,
    hours: Decimal,
    note: str = "",
    actor: User | None,
) -> ContractHours:
    """Append a version of the employee's contract hours (backdated, current or scheduled)."""
    locked = _locked(Employee, employee.pk)
    version = _append_version(
        CONTRACT_HOURS, locked, valid_from=valid_from, hours=hours, note=note, actor=actor
    )
    assert isinstance(version, ContractHours)
    return version


@attributed
@transaction.atomic
def weekly_hours_add(
    *,
    position: Position,
    valid_from: dt.date,
    hours: Decimal,
    note: str = "",
    actor: User | None,
) -> WeeklyHours:
    """Append a version of the position's demanded weekly hours."""
    locked = _locked(Position, position.pk)
    version = _append_version(
        WEEKLY_HOURS, locked, valid_from=valid_from, hours=hours, note=note, actor=actor
    )
    assert isinstance(version, WeeklyHours)
    return version


# The version in force on %(day)s per subject (the first version when none has started), for
# the figures to follow when a scheduled version starts: one UPDATE per kind, whatever the rows.
_REFRESH_SQL = """
UPDATE {subjects} s SET {figure} = f.hours, updated_at = now()
FROM (
    SELECT DISTINCT ON (v.{subject}) v.{subject}, v.hours
    FROM {versions} v
    ORDER BY v.{subject},
             (v.valid_from <= %(day)s) DESC,
             CASE WHEN v.valid_from <= %(day)s THEN v.valid_from END DESC NULLS LAST,
             v.valid_from, v.recorded_at DESC, v.id DESC
) f
WHERE f.{subject} = s.id AND s.{figure} <> f.hours
"""


@transaction.atomic
def hours_figures_refresh(*, day: dt.date | None = None) -> int:
    """Set every employee's `contract_hours` and position's `weekly_hours` to the version in
    force on `day` (default today): run daily, so that a scheduled version shows on its first
    day. Returns the number of rows changed."""
    day = day or timezone.localdate()
    changed = 0
    with connection.cursor() as cursor:
        for dated in (CONTRACT_HOURS, WEEKLY_HOURS):
            model = dated.version
            subject = model._meta.get_field(model.subject_field)
            cursor.execute(
                _REFRESH_SQL.format(
                    subjects=subject.related_model._meta.db_table,  # type: ignore[union-attr]
                    figure=dated.figure,
                    subject=subject.column,  # type: ignore[union-attr]
                    versions=model._meta.db_table,
                ),
                {"day": day},
            )
            changed += cursor.rowcount
    return changed
