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

        from django.db import models
        from rest_framework.serializers import ModelSerializer

        from apps.core.serializers import DecimalField

        # Every model decimal a ModelSerializer maps is read as the schema documents it.
        ModelSerializer.serializer_field_mapping[models.DecimalField] = DecimalField
