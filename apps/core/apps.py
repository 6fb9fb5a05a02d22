from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Cross-cutting HTTP pieces: errors, pagination, rendering, request ids, health checks, and
    the change log's capture context (apps.core.capture)."""

    name = "apps.core"
    label = "core"

    def ready(self) -> None:
        from django.db.backends.signals import connection_created

        from apps.core import capture

        connection_created.connect(capture.install, dispatch_uid="coveris_capture_context")
