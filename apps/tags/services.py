"""Services that change tags: the catalogue, employees' tags and positions' tags. Every add,
change and remove of an employee's or a position's tag writes a TagChangeLog row in the same
transaction, chained per subject under the subject's row lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from apps.core import request_id as request_ids
from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import Conflict, ProblemError
from apps.core.services import model_update, model_validate
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
        raise ProblemError(message, code=ErrorCode.INVALID_LEVEL, errors={field: [message]})


def _check_attachable(tag: TagCatalog) -> TagCatalog:
    # Read fresh, not from the caller's copy; no lock: a deactivation racing an attachment is
    # harmless (deactivating never detaches), and locking would serialize every attachment.
    locked: TagCatalog = TagCatalog.objects.get(pk=tag.pk)
    if not locked.active:
        raise Conflict(
            f"The tag {locked.code} is inactive and cannot be attached.",
            code=ErrorCode.INACTIVE_TAG,
            tag=locked.code,
        )
    return locked


# --- the catalogue -------------------------------------------------------------------------------


@attributed
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
    model_validate(tag)
    tag.save()
    return tag


@attributed
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
    model_update(instance=locked, data=fields)
    return locked


# --- employees' and positions' tags: one path, two kinds ----------------------------------------


@dataclass(frozen=True)
class Attachments:
    """What differs between employees' tags and positions' tags; add, change and remove are
    the same for both."""

    model: type[EmployeeTag] | type[PositionTag]
    subject: SubjectType  # also the attachment's field naming what holds the tag
    subject_model: type[Employee] | type[Position]
    fields: tuple[str, ...]  # what a change may set
    level: str  # the field holding a level (1-5)
    key: tuple[str, ...]  # with the subject, what one attachment is unique by
    snapshot: Callable[[Any, TagCatalog], dict[str, Any]]
    duplicate: Callable[[dict[str, Any]], str]  # the 409's message, given the key's values
    immutable: str  # the 400's message for a change of the subject or the tag

    def subject_id(self, row: Any) -> int:
        return int(getattr(row, f"{self.subject}_id"))


EMPLOYEE_TAGS = Attachments(
    model=EmployeeTag,
    subject=SubjectType.EMPLOYEE,
    subject_model=Employee,
    fields=EMPLOYEE_TAG_FIELDS,
    level="level",
    key=("tag", "valid_from"),
    snapshot=employee_tag_snapshot,
    immutable="The employee and the tag of an employee tag cannot be changed.",
    duplicate=lambda key: (
        f"The employee already holds {key['tag'].code} from {key['valid_from'].isoformat()}."
    ),
)
POSITION_TAGS = Attachments(
    model=PositionTag,
    subject=SubjectType.POSITION,
    subject_model=Position,
    fields=POSITION_TAG_FIELDS,
    level="min_level",
    key=("tag",),
    snapshot=position_tag_snapshot,
    immutable="The position and the tag of a position tag cannot be changed.",
    duplicate=lambda key: (
        f"The position already lists {key['tag'].code}; change that entry instead."
    ),
)


def _lock_subject(kind: Attachments, subject_id: int) -> None:
    # The subject's row lock orders the subject's tag chain.
    kind.subject_model.objects.select_for_update(of=("self",)).filter(pk=subject_id).first()


def _locked_attachment(kind: Attachments, pk: int) -> Any:
    """The attachment row, locked, with its catalogue tag; None when it is gone."""
    return (
        kind.model.objects.select_for_update(of=("self",))
        .select_related("tag")
        .filter(pk=pk)
        .first()
    )


def _check_unique(kind: Attachments, subject_id: int, key: dict[str, Any], pk: Any) -> None:
    """409 when another attachment of the subject has the same key (the caller holds the
    subject's lock, so two concurrent adds cannot both pass)."""
    others = kind.model.objects.filter(**{f"{kind.subject}_id": subject_id}, **key)
    if others.exclude(pk=pk).exists():
        raise Conflict(kind.duplicate(key), code=ErrorCode.DUPLICATE_TAG)


@attributed
def _log(
    kind: Attachments,
    row: Any,
    action: str,
    *,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
    actor: Any,
) -> None:
    """The TagChangeLog row of an add, change or remove (the caller holds the subject's lock)."""
    TagChangeLog.append(
        subject_type=kind.subject,
        subject_id=kind.subject_id(row),
        action=action,
        tag=row.tag,
        before=before,
        after=after,
        reason=reason,
        request_id=request_ids.get(),
        actor=actor if getattr(actor, "pk", None) else None,
    )


@attributed
def _attach(
    kind: Attachments, *, subject: Any, tag: TagCatalog, reason: str, actor: Any, **values: Any
) -> Any:
    """Attach an active tag to `subject` (logged)."""
    _lock_subject(kind, subject.pk)
    tag = _check_attachable(tag)
    _check_level(values[kind.level], kind.level)
    row = kind.model(**{kind.subject: subject, "tag": tag, **values})
    model_validate(row)
    _check_unique(kind, subject.pk, {name: getattr(row, name) for name in kind.key}, None)
    row.save()
    _log(
        kind,
        row,
        TagAction.ADD,
        before=None,
        after=kind.snapshot(row, tag),
        reason=reason,
        actor=actor,
    )
    return row


@attributed
def _change(
    kind: Attachments,
    attachment: Any,
    *,
    if_match: str | None,
    reason: str,
    actor: Any,
    fields: dict[str, Any],
) -> Any:
    """Change an attachment's own fields (If-Match honoured; logged when something changes)."""
    unknown = sorted(set(fields) - set(kind.fields))
    if unknown:
        errors = {name: [kind.immutable] for name in unknown}
        raise ProblemError(kind.immutable, code=ErrorCode.IMMUTABLE, errors=errors)
    subject_id = kind.subject_id(attachment)
    _lock_subject(kind, subject_id)
    locked = _locked_attachment(kind, attachment.pk)
    if locked is None:
        raise kind.model.DoesNotExist
    check_if_match(locked, if_match)
    if kind.level in fields:
        _check_level(fields[kind.level], kind.level)
    key = {name: fields.get(name, getattr(locked, name)) for name in kind.key}
    if any(key[name] != getattr(locked, name) for name in kind.key):
        _check_unique(kind, subject_id, key, locked.pk)
    before = kind.snapshot(locked, locked.tag)
    if model_update(instance=locked, fields=kind.fields, data=fields):
        after = kind.snapshot(locked, locked.tag)
        _log(kind, locked, TagAction.CHANGE, before=before, after=after, reason=reason, actor=actor)
    return locked


@attributed
def _detach(kind: Attachments, attachment: Any, *, reason: str, actor: Any) -> None:
    """Delete an attachment and log what it was."""
    _lock_subject(kind, kind.subject_id(attachment))
    locked = _locked_attachment(kind, attachment.pk)
    if locked is None:
        return  # removed meanwhile: nothing left to do (and nothing to log twice)
    before = kind.snapshot(locked, locked.tag)
    locked.delete()
    _log(kind, locked, TagAction.REMOVE, before=before, after=None, reason=reason, actor=actor)


# --- employees' tags -----------------------------------------------------------------------------


@attributed
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
    row: EmployeeTag = _attach(
        EMPLOYEE_TAGS,
        subject=employee,
        tag=tag,
        reason=reason,
        actor=actor,
        level=level,
        valid_from=valid_from,
        valid_until=valid_until,
    )
    return row


@attributed
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
    row: EmployeeTag = _change(
        EMPLOYEE_TAGS, employee_tag, if_match=if_match, reason=reason, actor=actor, fields=fields
    )
    return row


@attributed
@transaction.atomic
def employee_tag_remove(
    *, employee_tag: EmployeeTag, reason: str = "", actor: User | AnonymousUser | None
) -> None:
    """Detach a tag from an employee (logged with what it was)."""
    _detach(EMPLOYEE_TAGS, employee_tag, reason=reason, actor=actor)


# --- positions' tags -----------------------------------------------------------------------------


@attributed
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
    row: PositionTag = _attach(
        POSITION_TAGS,
        subject=position,
        tag=tag,
        reason=reason,
        actor=actor,
        requirement=requirement,
        min_level=min_level,
    )
    return row


@attributed
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
    row: PositionTag = _change(
        POSITION_TAGS, position_tag, if_match=if_match, reason=reason, actor=actor, fields=fields
    )
    return row


@attributed
@transaction.atomic
def position_tag_remove(
    *, position_tag: PositionTag, reason: str = "", actor: User | AnonymousUser | None
) -> None:
    """Drop a tag from a position's requirements (logged with what it was)."""
    _detach(POSITION_TAGS, position_tag, reason=reason, actor=actor)
