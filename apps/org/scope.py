"""What a user may see (DESIGN.md section 5, roles), said once.

HR admins and auditors see everything; managers what belongs to the org units of their scope
and the subtrees below them; employees only what is their own; anybody else nothing. Each
scoped model names, in `visibility`, how its rows reach an org unit and an owning user, and
gets `visible_to(user)` from `ScopedQuerySet` (NetBox's `RestrictedQuerySet.restrict`). Every
selector, report and lookup scopes through it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any, Self

from django.db import models
from django.db.models import Q


@dataclass(frozen=True)
class Visibility:
    """How a model's rows are scoped: `units`, the lookups of the org-unit paths a row belongs
    to (a manager sees a row if any of them is in scope); `owner`, the lookup of the user an
    employee must be to see it (None: employees see none of these rows)."""

    units: tuple[str, ...]
    owner: str | None = None


def is_signed_in(user: Any) -> bool:
    return bool(user and user.is_authenticated and user.is_active)


def sees_everything(user: Any) -> bool:
    """HR admins and auditors."""
    return is_signed_in(user) and bool(user.is_admin or user.is_auditor)


def scope_paths(user: Any) -> list[str] | None:
    """The subtree paths a user may see: None means everything, [] means nothing."""
    if not is_signed_in(user):
        return []
    if sees_everything(user):
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


def like_patterns(paths: list[str] | None) -> list[str] | None:
    """Materialized paths as LIKE patterns for a subtree filter in SQL (None: no filter)."""
    return None if paths is None else [f"{p}%" for p in paths]


class ScopedQuerySet(models.QuerySet[Any]):
    """A queryset of a model with a `visibility`."""

    def visible_to(self, user: Any) -> Self:
        """The rows `user` may see."""
        visibility: Visibility = self.model.visibility
        if not is_signed_in(user):
            return self.none()
        if user.is_employee_role:
            if visibility.owner is None:
                return self.none()
            return self.filter(**{visibility.owner: user})
        conditions = [in_scope_q(user, lookup) for lookup in visibility.units]
        if any(condition is None for condition in conditions):
            return self
        return self.filter(reduce(or_, conditions))  # type: ignore[arg-type]
