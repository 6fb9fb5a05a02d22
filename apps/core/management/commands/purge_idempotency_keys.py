"""`manage.py purge_idempotency_keys`: delete the idempotency keys older than 24 hours."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.idempotency import purge_expired


class Command(BaseCommand):
    help = (
        "Delete the idempotency keys (and the answers they replay) older than 24 hours; "
        "run it daily. An expired key is already answered as a new one; this frees the rows."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        deleted = purge_expired()
        self.stdout.write(self.style.SUCCESS(f"{deleted} expired idempotency keys deleted"))
