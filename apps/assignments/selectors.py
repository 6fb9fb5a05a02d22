"""Reads of assignments, scoped to the viewer."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from apps.assignments.models import Assignment
from apps.users.models import User

# What a manager may do to assignments in scope (DESIGN.md roles: propose/approve/cancel).
MANAGER_TRANSITIONS = frozenset({"approve", "cancel"})


def assignment_list(*, user: User | AnonymousUser) -> QuerySet[Assignment]:
    """Assignments the user may see: managers those touching their subtrees (by position or by
    employee), employees their own."""
    return (
        Assignment.objects.select_related("employee", "position", "position__org_unit")
        .visible_to(user)
        .order_by("-start_date", "-id")
    )


def may_transition_assignment(
    user: User | AnonymousUser, assignment: Assignment, transition: str
) -> bool:
    """HR admins any transition; managers approve and cancel (visibility is checked before)."""
    if not (user and user.is_authenticated):
        return False
    return bool(user.is_admin or (user.is_manager and transition in MANAGER_TRANSITIONS))
