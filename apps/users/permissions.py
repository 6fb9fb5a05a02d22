"""Role-based permissions (DESIGN.md section 5, roles)."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request


class IsAdmin(BasePermission):
    """HR admins only."""

    message = "Only HR admins may do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_admin)


class ReadAnyWriteAdmin(BasePermission):
    """Every authenticated role may read; only HR admins may write."""

    message = "Only HR admins may change this."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return request.method in SAFE_METHODS or user.is_admin
