"""Services that change accounts and tokens."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.etag import check_if_match
from apps.core.services import model_update
from apps.users.models import User


def tokens_issue(*, user: User) -> RefreshToken:
    """A new refresh token (and its access token) for `user`, recorded as outstanding."""
    return RefreshToken.for_user(user)


def _outstanding(raw: str) -> tuple[RefreshToken, OutstandingToken]:
    try:
        token = RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError as exc:
        raise InvalidToken(str(exc)) from exc
    outstanding = (
        OutstandingToken.objects.select_for_update(of=("self",)).filter(jti=token["jti"]).first()
    )
    if outstanding is None:
        raise InvalidToken("Token is not known.")
    return token, outstanding


@transaction.atomic
def tokens_rotate(*, raw_refresh: str) -> tuple[User, RefreshToken]:
    """Exchange a refresh token for a new pair; the old one is blacklisted.

    The outstanding-token row is locked, so of two concurrent refreshes with one token exactly
    one succeeds and the other sees it blacklisted.
    """
    token, outstanding = _outstanding(raw_refresh)
    if BlacklistedToken.objects.filter(token=outstanding).exists():
        raise InvalidToken("Token is blacklisted.")
    user = User.objects.filter(pk=token["user_id"], is_active=True).first()
    if user is None:
        raise InvalidToken("User is inactive or unknown.")
    BlacklistedToken.objects.create(token=outstanding)
    return user, tokens_issue(user=user)


@transaction.atomic
def tokens_revoke(*, raw_refresh: str) -> None:
    """Blacklist a refresh token (logout). Unknown or invalid tokens are ignored."""
    try:
        _, outstanding = _outstanding(raw_refresh)
    except InvalidToken:
        return
    BlacklistedToken.objects.get_or_create(token=outstanding)


@transaction.atomic
def user_create(
    *, email: str, password: str, role: str, scope: list[Any] | None = None, **fields: Any
) -> User:
    """Create an account; admins also get Django admin access."""
    user = User.objects.create_user(email=email, password=password, role=role, **fields)
    if scope:
        user.scope.set(scope)
    return user


@transaction.atomic
@transaction.atomic
def user_update(
    *,
    user: User,
    password: str | None = None,
    scope: list[Any] | None = None,
    if_match: str | None = None,
    **fields: Any,
) -> User:
    """Change an account's fields, password or manager scope (If-Match honoured)."""
    user = User.objects.select_for_update().get(pk=user.pk)
    check_if_match(user, if_match)
    if "role" in fields:
        fields["is_staff"] = fields["role"] == "admin"
    model_update(instance=user, data=fields)
    if "role" in fields and user.role != "manager":
        user.scope.clear()
    if password:
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
    if scope is not None and {u.pk for u in user.scope.all()} != {u.pk for u in scope}:
        user.scope.set(scope)
        user.save(update_fields=["updated_at"])
    if fields.get("is_active") is False:
        user_deactivate(user=user)
    return user


def user_deactivate(*, user: User) -> User:
    """Deactivate an account and revoke every refresh token it holds."""
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        for outstanding in OutstandingToken.objects.filter(user=user):
            BlacklistedToken.objects.get_or_create(token=outstanding)
    return user
