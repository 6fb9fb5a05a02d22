"""Serializers for accounts and the auth endpoints."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from apps.core.codes import ErrorCode
from apps.core.serializers import StrictInputMixin
from apps.users.models import Role, User


class LoginInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RefreshInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    refresh = serializers.CharField(max_length=4096)


class TokenPairSerializer(serializers.Serializer):  # type: ignore[type-arg]
    access = serializers.CharField()
    refresh = serializers.CharField()


class ScopeField(serializers.PrimaryKeyRelatedField):  # type: ignore[type-arg]
    """A manager's scope as org-unit ids. The org units are the org app's: the field reaches
    them through the model relation (`user.scope`), not by importing a higher app."""

    def get_queryset(self) -> Any:
        return User._meta.get_field("scope").related_model._default_manager.all()  # type: ignore[attr-defined,union-attr]


class UserSerializer(serializers.ModelSerializer):  # type: ignore[type-arg]
    """A user as the API shows it: role, manager scope (org-unit ids) and linked employee."""

    scope = serializers.PrimaryKeyRelatedField(many=True, read_only=True)  # type: ignore[var-annotated]
    employee = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "full_name",
            "role",
            "scope",
            "employee",
            "is_active",
            "date_joined",
            "last_login",
        )
        read_only_fields = fields

    def get_employee(self, user: User) -> int | None:
        employee = getattr(user, "employee", None)
        return employee.pk if employee is not None else None


class UserWriteSerializer(StrictInputMixin, serializers.ModelSerializer):  # type: ignore[type-arg]
    """Input for creating and changing accounts (admins only)."""

    password = serializers.CharField(
        write_only=True, required=False, max_length=256, trim_whitespace=False
    )
    role = serializers.ChoiceField(choices=Role.choices)
    # Declared: ModelSerializer makes an M2M with a `through` model read-only, which would drop it.
    scope = ScopeField(many=True, required=False)

    class Meta:
        model = User
        fields = ("email", "full_name", "password", "role", "scope", "is_active")

    def validate_email(self, value: str) -> str:
        value = value.lower()
        others = User.objects.filter(email__iexact=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(
                "A user with this email exists.", code=ErrorCode.UNIQUE
            )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and not attrs.get("password"):
            raise serializers.ValidationError(
                {"password": ["A password is required for a new user."]}, code=ErrorCode.REQUIRED
            )
        if attrs.get("password"):
            # Checked against the account as it will be, so a password like the email is refused.
            candidate = User(
                email=attrs.get("email", getattr(self.instance, "email", "")),
                full_name=attrs.get("full_name", getattr(self.instance, "full_name", "")),
            )
            try:
                validate_password(attrs["password"], user=candidate)
            except DjangoValidationError as exc:
                raise serializers.ValidationError(
                    {"password": list(exc.messages)}, code=ErrorCode.INVALID
                ) from exc
        role = attrs.get("role", getattr(self.instance, "role", None))
        if attrs.get("scope") and role != Role.MANAGER:
            raise serializers.ValidationError(
                {"scope": ["Only managers have a scope."]}, code=ErrorCode.INVALID
            )
        return attrs
