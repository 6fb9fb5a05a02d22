"""Reads of the organisation, scoped to the viewer (DESIGN.md section 5, roles)."""

from __future__ import annotations

from functools import reduce
from operator import or_
from typing import Any

from django.db.models import Q, QuerySet

from apps.org.models import Employee, OrgUnit, Position


def scope_paths(user: Any) -> list[str] | None:
    """The subtree paths a user may see: None means everything, [] means nothing."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    if user.is_admin or user.is_auditor:
        return None
    if user.is_manager:
        cached = getattr(user, "_scope_paths", None)
        if cached is None:
            cached = list(user.scope.values_list("path", flat=True))
            user._scope_paths = cached
        return cached
    return []


def in_scope_q(user: Any, path_lookup: str) -> Q | None:
    """A filter keeping rows whose org unit (reached by `path_lookup`) is in the user's scope.

    None: no filter (sees everything). An impossible filter when the scope is empty.
    """
    paths = scope_paths(user)
    if paths is None:
        return None
    if not paths:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{path_lookup}__startswith": p}) for p in paths))


def _scoped(qs: QuerySet[Any], user: Any, path_lookup: str) -> QuerySet[Any]:
    condition = in_scope_q(user, path_lookup)
    return qs if condition is None else qs.filter(condition)


def org_unit_list(*, user: Any) -> QuerySet[OrgUnit]:
    """Org units the user may see, in tree order."""
    return _scoped(OrgUnit.objects.all(), user, "path").order_by("path")


def org_unit_subtree(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """A unit and every unit below it, in one query."""
    return OrgUnit.objects.filter(path__startswith=unit.path).order_by("path")


def position_list(*, user: Any) -> QuerySet[Position]:
    """Positions in org units the user may see."""
    return _scoped(Position.objects.select_related("org_unit"), user, "org_unit__path").order_by(
        "code"
    )


def employee_list(*, user: Any) -> QuerySet[Employee]:
    """Employees the user may see: managers their subtrees, employees only themselves."""
    qs = Employee.objects.select_related("org_unit")
    if user and user.is_authenticated and user.is_employee_role:
        return qs.filter(user=user).order_by("id")
    return _scoped(qs, user, "org_unit__path").order_by("last_name", "first_name", "id")


def may_transition_employee(user: Any, employee: Employee, transition: str) -> bool:
    """HR admins, and managers for employees in their scope (visibility is checked before)."""
    return bool(user and user.is_authenticated and (user.is_admin or user.is_manager))
