"""`manage.py seed_demo`: demo accounts (one per role) and demo data, idempotent."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.users.demo import DEMO_PASSWORD, DEMO_USERS, seed_users
from apps.users.models import User


class Command(BaseCommand):
    help = "Create the demo accounts and demo data (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing but print the logins when the demo accounts already exist.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        exists = User.objects.filter(email=DEMO_USERS[0][0]).exists()
        if not (options["if_empty"] and exists):
            self.stdout.write("seed_demo: demo accounts")
            seed_users()
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for email, role, _ in DEMO_USERS:
            self.stdout.write(f"  {role:<9} {email}")
