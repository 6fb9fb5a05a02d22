"""Services that change tags: the catalogue, employees' tags and positions' tags. Every add,
change and remove of an employee's or a position's tag writes a TagChangeLog row in the same
transaction, chained per subject under the subject's row lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from apps.core import request_id as request_ids
from apps.core.etag import check_if_match
from apps.core.exceptions import Conflict, ProblemError
from apps.org.models import Employee, Position
from apps.tags.models import (
    EmployeeTag,
    PositionTag,
    Requirement,
    SubjectType,
    TagAction,
    TagCatalog,
    TagChangeLog,
)
from apps.users.models import User

EMPLOYEE_TAG_FIELDS = ("level", "valid_from", "valid_until")
POSITION_TAG_FIELDS = ("requirement", "min_level")


def _actor(actor: User | AnonymousUser | None) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _log(
    *,
    subject_type: str,
    subject_id: int,
    action: str,
    tag: TagCatalog,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
    actor: User | AnonymousUser | None,
) -> TagChangeLog:
    row: TagChangeLog = TagChangeLog.append(
        subject_type=subject_type,
        subject_id=subject_id,
        action=action,
        tag=tag,
        before=before,
        after=after,
        reason=reason,
        request_id=request_ids.get(),
        actor=_actor(actor),
    )
    return row


def employee_tag_snapshot(row: EmployeeTag, tag: TagCatalog) -> dict[str, Any]:
    """An employee tag as the log records it (JSON: dates as ISO strings)."""
    return {
        "id": row.pk,
        "tag": tag.pk,
        "code": tag.code,
        "level": row.level,
        "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
    }


def position_tag_snapshot(row: PositionTag, tag: TagCatalog) -> dict[str, Any]:
    """A position tag as the log records it."""
    return {
        "id": row.pk,
        "tag": tag.pk,
        "code": tag.code,
        "requirement": row.requirement,
        "min_level": row.min_level,
    }


def _check_level(level: int, field: str) -> None:
    if not 1 <= int(level) <= 5:
        message = "Levels run from 1 to 5."
        raise ProblemError(message, code="invalid_level", errors={field: [message]})


def _check_period(valid_from: dt.date, valid_until: dt.date | None) -> None:
    if valid_until is not None and valid_until < valid_from:
        message = "valid_until is before valid_from."
        raise ProblemError(message, code="end_before_start", errors={"valid_until": [message]})


def _check_attachable(tag: TagCatalog) -> TagCatalog:
    # Read fresh, not from the caller's copy; no lock: a deactivation racing an attachment is
    # harmless (deactivating never detaches), and locking would serialize every attachment.
    locked: TagCatalog = TagCatalog.objects.get(pk=tag.pk)
    if not locked.active:
        raise Conflict(
            f"The tag {locked.code} is inactive and cannot be attached.",
            code="inactive_tag",
            tag=locked.code,
        )
    return locked


# --- the catalogue -------------------------------------------------------------------------------


@transaction.atomic
def tag_catalog_create(
    *,
    code: str,
    label: str,
    category: str,
    description: str = "",
    active: bool = True,
    actor: User | AnonymousUser | None = None,
) -> TagCatalog:
    """A new catalogue tag."""
    tag = TagCatalog(
        code=code, label=label, category=category, description=description, active=active
    )
    tag.full_clean(validate_unique=False, validate_constraints=False)
    tag.save()
    return tag


@transaction.atomic
def tag_catalog_update(
    *,
    tag: TagCatalog,
    if_match: str | None = None,
    actor: User | AnonymousUser | None = None,
    **fields: Any,
) -> TagCatalog:
    """Change a catalogue tag (If-Match honoured); deactivating one keeps its attachments."""
    locked: TagCatalog = TagCatalog.objects.select_for_update(of=("self",)).get(pk=tag.pk)
    check_if_match(locked, if_match)
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, fields[name])
    locked.full_clean(validate_unique=False, validate_constraints=False)
    locked.save(update_fields=[*changed, "updated_at"])
    return locked


# --- shared by employee and position tags ---------------------------------------------------------


def _locked_attachment(model: type[Any], pk: int) -> Any:
    """The attachment row, locked, with its catalogue tag; None when it is gone."""
    return model.objects.select_for_update(of=("self",)).select_related("tag").filter(pk=pk).first()


def _detach(
    *,
    model: type[Any],
    pk: int,
    subject_type: str,
    subject_id: int,
    snapshot: Callable[[Any, TagCatalog], dict[str, Any]],
    reason: str,
    actor: User | AnonymousUser | None,
) -> None:
    """Delete an attachment and log what it was (the caller holds the subject's lock)."""
    locked = _locked_attachment(model, pk)
    if locked is None:
        return  # removed meanwhile: nothing left to do (and nothing to log twice)
    before = snapshot(locked, locked.tag)
    locked.delete()
    _log(
        subject_type=subject_type,
        subject_id=subject_id,
        action=TagAction.REMOVE,
        tag=locked.tag,
        before=before,
        after=None,
        reason=reason,
        actor=actor,
    )


# --- employees' tags -----------------------------------------------------------------------------


def _lock_employee(employee_id: int) -> None:
    # The employee's row lock orders the employee's tag chain.
    Employee.objects.select_for_update(of=("self",)).filter(pk=employee_id).first()


@transaction.atomic
def employee_tag_add(
    *,
    employee: Employee,
    tag: TagCatalog,
    level: int,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    reason: str = "",
    actor: User | AnonymousUser | None,
) -> EmployeeTag:
    """Attach an active catalogue tag to an employee at a level, for a period (logged)."""
    _lock_employee(employee.pk)
    tag = _check_attachable(tag)
    _check_level(level, "level")
    _check_period(valid_from, valid_until)
    if EmployeeTag.objects.filter(employee=employee, tag=tag, valid_from=valid_from).exists():
        raise Conflict(
            f"The employee already holds {tag.code} from {valid_from.isoformat()}.",
            code="duplicate_tag",
        )
    row = EmployeeTag.objects.create(
        employee=employee, tag=tag, level=level, valid_from=valid_from, valid_until=valid_until
    )
    _log(
        subject_type=SubjectType.EMPLOYEE,
        subject_id=employee.pk,
        action=TagAction.ADD,
        tag=tag,
        before=None,
        after=employee_tag_snapshot(row, tag),
        reason=reason,
        actor=actor,
    )
    return row


@transaction.atomic
def employee_tag_change(
    *,
    employee_tag: EmployeeTag,
    if_match: str | None = None,
    reason: str = "",
    actor: User | AnonymousUser | None,
    **fields: Any,
) -> EmployeeTag:
    """Change an employee tag's level or validity (If-Match honoured; logged when it changes)."""
    unknown = sorted(set(fields) - set(EMPLOYEE_TAG_FIELDS))
    if unknown:
        message = "The employee and the tag of an employee tag cannot be changed."
        raise ProblemError(message, code="immutable", errors={n: [message] for n in unknown})
    _lock_employee(employee_tag.employee_id)
    locked: EmployeeTag | None = _locked_attachment(EmployeeTag, employee_tag.pk)
    if locked is None:
        raise EmployeeTag.DoesNotExist
    check_if_match(locked, if_match)
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    before = employee_tag_snapshot(locked, locked.tag)
    for name in changed:
        setattr(locked, name, fields[name])
    _check_level(locked.level, "level")
    _check_period(locked.valid_from, locked.valid_until)
    if (
        "valid_from" in changed
        and EmployeeTag.objects.filter(
            employee_id=locked.employee_id, tag_id=locked.tag_id, valid_from=locked.valid_from
        )
        .exclude(pk=locked.pk)
        .exists()
    ):
        raise Conflict(
            f"The employee already holds {locked.tag.code} from {locked.valid_from.isoformat()}.",
            code="duplicate_tag",
        )
    locked.save(update_fields=[*changed, "updated_at"])
    _log(
        subject_type=SubjectType.EMPLOYEE,
        subject_id=locked.employee_id,
        action=TagAction.CHANGE,
        tag=locked.tag,
        before=before,
        after=employee_tag_snapshot(locked, locked.tag),
        reason=reason,
        actor=actor,
    )
    return locked


@transaction.atomic
def employee_tag_remove(
    *, employee_tag: EmployeeTag, reason: str = "", actor: User | AnonymousUser | None
) -> None:
    """Detach a tag from an employee (logged with what it was)."""
    _lock_employee(employee_tag.employee_id)
    _detach(
        model=EmployeeTag,
        pk=employee_tag.pk,
        subject_type=SubjectType.EMPLOYEE,
        subject_id=employee_tag.employee_id,
        snapshot=employee_tag_snapshot,
        reason=reason,
        actor=actor,
    )


# --- positions' tags -----------------------------------------------------------------------------


def _lock_position(position_id: int) -> None:
    # The position's row lock orders the position's tag chain.
    Position.objects.select_for_update(of=("self",)).filter(pk=position_id).first()


@transaction.atomic
def position_tag_add(
    *,
    position: Position,
    tag: TagCatalog,
    requirement: str = Requirement.REQUIRED,
    min_level: int = 1,
    reason: str = "",
    actor: User | AnonymousUser | None,
) -> PositionTag:
    """Require (or prefer) an active catalogue tag on a position at a minimum level (logged)."""
    _lock_position(position.pk)
    tag = _check_attachable(tag)
    _check_level(min_level, "min_level")
    if PositionTag.objects.filter(position=position, tag=tag).exists():
        raise Conflict(
            f"The position already lists {tag.code}; change that entry instead.",
            code="duplicate_tag",
        )
    row = PositionTag.objects.create(
        position=position, tag=tag, requirement=requirement, min_level=min_level
    )
    _log(
        subject_type=SubjectType.POSITION,
        subject_id=position.pk,
        action=TagAction.ADD,
        tag=tag,
        before=None,
        after=position_tag_snapshot(row, tag),
        reason=reason,
        actor=actor,
    )
    return row


@transaction.atomic
def position_tag_change(
    *,
    position_tag: PositionTag,
    if_match: str | None = None,
    reason: str = "",
    actor: User | AnonymousUser | None,
    **fields: Any,
) -> PositionTag:
    """Change whether a position requires or prefers a tag, or the minimum level (logged)."""
    unknown = sorted(set(fields) - set(POSITION_TAG_FIELDS))
    if unknown:
        message = "The position and the tag of a position tag cannot be changed."
        raise ProblemError(message, code="immutable", errors={n: [message] for n in unknown})
    _lock_position(position_tag.position_id)
    locked: PositionTag | None = _locked_attachment(PositionTag, position_tag.pk)
    if locked is None:
        raise PositionTag.DoesNotExist
    check_if_match(locked, if_match)
    changed = [name for name, value in fields.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    before = position_tag_snapshot(locked, locked.tag)
    for name in changed:
        setattr(locked, name, fields[name])
    _check_level(locked.min_level, "min_level")
    locked.save(update_fields=[*changed, "updated_at"])
    _log(
        subject_type=SubjectType.POSITION,
        subject_id=locked.position_id,
        action=TagAction.CHANGE,
        tag=locked.tag,
        before=before,
        after=position_tag_snapshot(locked, locked.tag),
        reason=reason,
        actor=actor,
    )
    return locked


@transaction.atomic
def position_tag_remove(
    *, position_tag: PositionTag, reason: str = "", actor: User | AnonymousUser | None
) -> None:
    """Drop a tag from a position's requirements (logged with what it was)."""
    _lock_position(position_tag.position_id)
    _detach(
        model=PositionTag,
        pk=position_tag.pk,
        subject_type=SubjectType.POSITION,
        subject_id=position_tag.position_id,
        snapshot=position_tag_snapshot,
        reason=reason,
        actor=actor,
    )
