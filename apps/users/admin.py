"""Accounts in the Django admin."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from apps.core.admin import ExtensibleAdminMixin
from apps.users.models import User


@admin.register(User)
class UserAdmin(ExtensibleAdminMixin, BaseUserAdmin):  # type: ignore[type-arg]
    """HR admins manage accounts, roles and manager scopes here (the scope inline is the org
    app's, registered through apps.core.admin)."""

    ordering = ("email",)
    list_display = ("email", "full_name", "role", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("email", "full_name")
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("full_name", "role", "cognito_sub")}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "role", "password1", "password2")}),
    )
