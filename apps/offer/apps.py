from django.apps import AppConfig


class OfferConfig(AppConfig):
    """The supply side: contract hours and the append-only hours ledger."""

    name = "apps.offer"
    label = "offer"
