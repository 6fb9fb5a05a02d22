from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting HTTP pieces: errors, pagination, rendering, request ids, health checks."""

    name = "apps.core"
    label = "core"
