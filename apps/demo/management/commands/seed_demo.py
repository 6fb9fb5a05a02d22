"""`manage.py seed_demo`: demo accounts (one per role) and a demo organisation, idempotent."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.capture import acting_as
from apps.demo.assignments import seed_work
from apps.demo.calendars import seed_calendars
from apps.demo.leave import seed_leave
from apps.demo.org import seed_org
from apps.demo.tags import seed_tags
from apps.demo.users import DEMO_PASSWORD, DEMO_USERS, seed_users
from apps.users.models import User


def _positive(value: str) -> int:
    number = int(value)
    if number < 0 or number > 1_000_000:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = "Create the demo accounts and a demo organisation (safe to run again)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--employees", type=_positive, default=200)
        parser.add_argument("--positions", type=_positive, default=60)
        parser.add_argument("--org-units", type=_positive, default=12)
        parser.add_argument(
            "--assignments", type=_positive, default=None, help="default: twice the employees"
        )
        parser.add_argument(
            "--ledger",
            type=_positive,
            default=None,
            help="ledger entries; default: as many as employees",
        )
        parser.add_argument(
            "--lanes",
            type=_positive,
            default=min(4, os.cpu_count() or 1),
            help="database connections writing at once (default: the cores, at most 4)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Only print the logins when the demo accounts already exist.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # What the seed writes is recorded in the change log as demo data, by nobody.
        with acting_as(None, reason="seed_demo: demo data"):
            self._seed(**options)

    def _seed(self, **options: Any) -> None:
        started = time.monotonic()
        exists = User.objects.filter(email=DEMO_USERS[0][0]).exists()
        if not (options["if_empty"] and exists):
            if options["org_units"] < 1:
                raise CommandError("--org-units must be at least 1")

            def say(line: str) -> None:
                self.stdout.write(line)
                self.stdout.flush()

            lanes = options["lanes"]
            employees = options["employees"]
            users: dict[str, User] = {}

            def accounts() -> None:
                users.update(seed_users())

            phases: list[tuple[str, Callable[[], object]]] = [
                ("demo accounts", accounts),
                (
                    "organisation",
                    lambda: seed_org(
                        employees=employees,
                        positions=options["positions"],
                        org_units=options["org_units"],
                        users=users,
                        say=say,
                        lanes=lanes,
                    ),
                ),
                (
                    "assignments, ledger, requirements",
                    lambda: seed_work(
                        assignments=options["assignments"]
                        if options["assignments"] is not None
                        else 2 * employees,
                        ledger=options["ledger"] if options["ledger"] is not None else employees,
                        users=users,
                        say=say,
                        lanes=lanes,
                    ),
                ),
                ("tags", lambda: seed_tags(users=users, say=say, lanes=lanes)),
                ("working calendars and public holidays", seed_calendars),
                (
                    "leave entitlements, rules and requests",
                    lambda: seed_leave(users=users, say=say, lanes=lanes),
                ),
            ]
            for name, phase in phases:
                self.stdout.write(f"seed_demo: {name}")
                begun = time.monotonic()
                phase()
                self.stdout.write(f"seed_demo: {name}: {time.monotonic() - begun:.1f}s")
            self.stdout.write(f"seed_demo: done in {time.monotonic() - started:.1f}s")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password for all: {DEMO_PASSWORD}):"))
        for email, role, _ in DEMO_USERS:
            self.stdout.write(f"  {role:<9} {email}")
