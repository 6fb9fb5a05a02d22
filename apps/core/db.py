"""Database routing: read-only report traffic may go to a replica, everything else to the
primary (DESIGN.md section 3)."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction


def read_alias() -> str:
    """The alias for a report read: the replica when one is configured and we are not inside a
    transaction (a transition reads its own writes on the primary)."""
    if "replica" in settings.DATABASES and not transaction.get_connection().in_atomic_block:
        return "replica"
    return "default"
