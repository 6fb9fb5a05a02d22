"""Role-based permissions (DESIGN.md section 5, roles)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from apps.users.models import User


def acting_user(request: Request | HttpRequest) -> User:
    """The signed-in user a request acts as, for a service's `actor`. Views and the admin call
    services only past their permission checks, which let no anonymous user in; one here
    would be a 401 rather than a change recorded without an actor."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated()
    return user


class IsAdmin(BasePermission):
    """HR admins only."""

    message = "Only HR admins may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)


class AdminOrAuditorReadAdminWrite(BasePermission):
    """HR admins and auditors read; only HR admins write (configuration such as rules)."""

    message = "Only HR admins may change this; HR admins and auditors may read it."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return bool(user.is_admin or user.is_auditor)
        return bool(user.is_admin)


class ReadAnyWriteAdmin(BasePermission):
    """Every authenticated role may read; only HR admins may write."""

    message = "Only HR admins may change this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.is_admin


class RolePermission(BasePermission):
    """Reads for every signed-in role (querysets scope them); writes for HR admins, and for
    managers only in the viewset's `manager_actions`.

    Writes on a single object are decided after the scoped lookup, so an object outside the
    caller's scope is 404 rather than 403.
    """

    message = "Your role may not do this."

    def _may_write(self, request: Request, view: Any) -> bool:
        user = request.user
        if not isinstance(user, User):  # has_permission let only signed-in users through
            return False
        if user.is_admin:
            return True
        return bool(user.is_manager and view.action in getattr(view, "manager_actions", ()))

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS or getattr(view, "detail", False):
            return True
        return self._may_write(request, view)

    def has_object_permission(self, request: Request, view: Any, obj: Any) -> bool:
        if request.method in SAFE_METHODS:
            return True
        return self._may_write(request, view)
