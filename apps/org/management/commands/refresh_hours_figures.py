"""`manage.py refresh_hours_figures`: the employees' and positions' hours figures follow the
versions in force today (run daily: a scheduled version shows from its first day)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from apps.core.capture import acting_as
from apps.org.services import hours_figures_refresh


class Command(BaseCommand):
    help = "Set contract_hours / weekly_hours to the version in force today."

    def handle(self, *args: Any, **options: Any) -> None:
        with acting_as(None, reason="refresh_hours_figures: the figures in force today"):
            changed = hours_figures_refresh()
        self.stdout.write(self.style.SUCCESS(f"{changed} figures changed"))
