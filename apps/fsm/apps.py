from django.apps import AppConfig


class FsmConfig(AppConfig):
    """The one transition machinery: lock, check, apply, log (hash-chained), signal."""

    name = "apps.fsm"
    label = "fsm"
