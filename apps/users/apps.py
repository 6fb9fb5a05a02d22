from django.apps import AppConfig


class UsersConfig(AppConfig):
    """Accounts, roles and authentication."""

    name = "apps.users"
    label = "users"

    def ready(self) -> None:
        # Registers the OpenAPI descriptions of the auth classes with drf-spectacular.
        from apps.users import schema  # noqa: F401
