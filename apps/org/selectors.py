"""Reads of the organisation, scoped to the viewer (DESIGN.md section 5, roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from apps.org.models import Employee, OrgUnit, Position
from apps.org.scope import is_signed_in


def org_unit_list(*, user: Any) -> QuerySet[OrgUnit]:
    """Org units the user may see, in tree order."""
    return OrgUnit.objects.visible_to(user).order_by("path")


def org_unit_subtree(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """A unit and every unit below it, in one query."""
    return OrgUnit.objects.filter(path__startswith=unit.path).order_by("path")


def position_list(*, user: Any) -> QuerySet[Position]:
    """Positions in org units the user may see."""
    return Position.objects.select_related("org_unit").visible_to(user).order_by("code")


def employee_list(*, user: Any) -> QuerySet[Employee]:
    """Employees the user may see: managers their subtrees, employees only themselves."""
    qs = Employee.objects.select_related("org_unit").visible_to(user)
    if is_signed_in(user) and user.is_employee_role:
        return qs.order_by("id")
    return qs.order_by("last_name", "first_name", "id")


def may_transition_employee(user: Any, employee: Employee, transition: str) -> bool:
    """HR admins, and managers for employees in their scope (visibility is checked before)."""
    return bool(user and user.is_authenticated and (user.is_admin or user.is_manager))
