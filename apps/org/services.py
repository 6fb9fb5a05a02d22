"""Services that change the organisation: org units (tree), positions, employees."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import ProblemError
from apps.core.services import model_update, model_validate
from apps.org.models import Employee, OrgUnit, Position


def _locked(model: type[Any], pk: Any) -> Any:
    return model.objects.select_for_update(of=("self",)).get(pk=pk)


@transaction.atomic
def org_unit_create(
    *, code: str, name: str, parent: OrgUnit | None = None, active: bool = True
) -> OrgUnit:
    """A new unit; its path is its parent's path plus its own id."""
    unit = OrgUnit.objects.create(code=code, name=name, parent=parent, active=active)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    return unit


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


@transaction.atomic
def position_create(**fields: Any) -> Position:
    """A new position."""
    position = Position(**fields)
    model_validate(position)
    position.save()
    return position


@transaction.atomic
def position_update(*, position: Position, if_match: str | None = None, **fields: Any) -> Position:
    """Change a position (If-Match honoured)."""
    locked = _locked(Position, position.pk)
    check_if_match(locked, if_match)
    model_update(instance=locked, data=fields)
    return locked


@transaction.atomic
def employee_create(**fields: Any) -> Employee:
    """A new employee; they start as a candidate."""
    fields.pop("state", None)
    employee = Employee(**fields)
    model_validate(employee)
    employee.save()
    return employee


@transaction.atomic
def employee_update(*, employee: Employee, if_match: str | None = None, **fields: Any) -> Employee:
    """Change an employee's data (never the state: that is what transitions are for)."""
    fields.pop("state", None)
    locked = _locked(Employee, employee.pk)
    check_if_match(locked, if_match)
    model_update(instance=locked, data=fields)
    return locked
