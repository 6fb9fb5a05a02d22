"""`manage.py verify_audit_log`: walk every hash chain; exit 1 on the first broken row."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.audit_log.verification import verify_all


class Command(BaseCommand):
    help = "Verify the hash chains of every append-only log; exits non-zero if one is broken."

    def handle(self, *args: Any, **options: Any) -> None:
        last: dict[str, int] = {}

        def progress(table: str, checked: int) -> None:
            if last.get(table) != checked:
                last[table] = checked
                self.stderr.write(f"  {table}: {checked} rows checked")

        result = verify_all(progress=progress)
        self.stdout.write(json.dumps(result, default=str))
        if not result["ok"]:
            raise CommandError(f"hash chain broken at {result['first_broken']}")
        self.stdout.write(self.style.SUCCESS(f"ok: {result['checked']} rows verified"))
