from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Accounts, roles and authentication."""

    name = "apps.users"
    label = "users"
