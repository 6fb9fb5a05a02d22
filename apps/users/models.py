"""Accounts: a custom user who logs in with an email address and has one role."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone

from apps.core.capture import Tracking


class Role(models.TextChoices):
    """What a user may see and change (DESIGN.md section 5, roles)."""

    ADMIN = "admin", "HR admin"
    MANAGER = "manager", "Manager"
    AUDITOR = "auditor", "Auditor"
    EMPLOYEE = "employee", "Employee"


class UserManager(BaseUserManager["User"]):
    """Creates users by email; superusers are HR admins with Django admin access."""

    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        """A user of any role (employee by default)."""
        extra.setdefault("role", Role.EMPLOYEE)
        extra.setdefault("is_staff", extra["role"] == Role.ADMIN)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        """An HR admin who can also use the Django admin."""
        extra.update(role=Role.ADMIN, is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username or "")


class User(AbstractBaseUser, PermissionsMixin):
    """A person who uses Coveris; identified by email, authorised by `role`. A manager's scope
    (`user.scope`, the org units whose subtrees they look after) is an org concept: it is
    `OrgUnit.managers` in apps.org."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("user", exclude=("password", "last_login"))

    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EMPLOYEE)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="May log in to the Django admin.")
    date_joined = models.DateTimeField(default=timezone.now)
    # The ETag's stamp (apps.core.etag): any change of the account, its password or its scope.
    updated_at = models.DateTimeField(auto_now=True)
    cognito_sub = models.CharField(max_length=64, unique=True, null=True, blank=True)
    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ("email",)

    def __str__(self) -> str:
        return self.email

    @property
    def is_admin(self) -> bool:
        """HR admin: sees and changes everything."""
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_manager(self) -> bool:
        return self.is_active and self.role == Role.MANAGER

    @property
    def is_auditor(self) -> bool:
        return self.is_active and self.role == Role.AUDITOR

    @property
    def is_employee_role(self) -> bool:
        return self.is_active and self.role == Role.EMPLOYEE
