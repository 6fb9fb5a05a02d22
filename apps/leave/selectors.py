"""Reads of leave, scoped to the viewer: employees their own, managers their subtrees."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils import timezone

from apps.leave.models import LeaveEntitlement, LeaveRequest, LeaveState
from apps.users.models import User

# What a manager may do to leave requests in scope, except on their own.
MANAGER_TRANSITIONS = frozenset({"approve", "reject", "cancel"})


def leave_request_list(*, user: User | AnonymousUser) -> QuerySet[LeaveRequest]:
    return (
        LeaveRequest.objects.select_related("employee", "employee__org_unit")
        .visible_to(user)
        .order_by("-start_date", "-id")
    )


def entitlement_list(*, user: User | AnonymousUser) -> QuerySet[LeaveEntitlement]:
    return (
        LeaveEntitlement.objects.select_related("employee")
        .visible_to(user)
        .order_by("-year", "employee_id", "kind", "id")
    )


def is_own(user: User | AnonymousUser, request: LeaveRequest) -> bool:
    return bool(getattr(user, "pk", None)) and request.employee.user_id == user.pk


def may_transition_leave(
    user: User | AnonymousUser, request: LeaveRequest, transition: str
) -> bool:
    """HR admins any transition. Managers approve, reject and cancel in scope, but do not
    decide their own requests. Employees cancel their own: a pending one, or an approved one
    that has not started yet. (Visibility is checked before.)"""
    if not (user and user.is_authenticated):
        return False
    if user.is_admin:
        return True
    own = is_own(user, request)
    if transition == "cancel" and own:
        return request.state == LeaveState.REQUESTED or request.start_date > timezone.localdate()
    return bool(user.is_manager and transition in MANAGER_TRANSITIONS and not own)
