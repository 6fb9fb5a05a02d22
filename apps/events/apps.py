from django.apps import AppConfig
from django.db.models.signals import post_migrate, pre_migrate


class EventsConfig(AppConfig):
    name = "apps.events"
    verbose_name = "Events and webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core import capture
        from apps.events import dispatch

        # After a transaction that wrote an audited table commits, the dispatcher is woken (at
        # most once per transaction); a periodic sweep catches writes made outside the app.
        capture.on_commit_of_writes(dispatch.audited_tables(), dispatch.wake)
        pre_migrate.connect(lambda **_: dispatch.migrating(started=True), weak=False)
        post_migrate.connect(lambda **_: dispatch.migrating(started=False), weak=False)
