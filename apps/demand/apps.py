from django.apps import AppConfig


class DemandConfig(AppConfig):
    """The demand side: coverage requirements and the coverage computation."""

    name = "apps.demand"
    label = "demand"
