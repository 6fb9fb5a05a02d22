from django.apps import AppConfig


class OrgConfig(AppConfig):
    """The organisation: org-unit tree, positions and employees."""

    name = "apps.org"
    label = "org"
