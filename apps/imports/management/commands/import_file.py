"""`manage.py import_file KIND FILE [--commit] [--partial] [--as EMAIL]`: the same dry run and
commit as POST imports/, run here (no worker needed), with a progress bar on stderr.

Exit status: 0 when the dry run found no error (and the commit, if asked, committed); 1 when
rows are in error (they are listed, and the commit is not made unless --partial); 2 when the
file cannot be imported at all."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from procrastinate.contrib.django.models import ProcrastinateJob
from tqdm import tqdm

from apps.imports import engine, services
from apps.imports.files import FileProblem
from apps.imports.kinds import KINDS
from apps.imports.models import Import, ImportRow, ImportState, RowAction
from apps.users.models import User

SHOWN_ERRORS = 20


class Command(BaseCommand):
    help = "Import a CSV or XLSX file: a dry run, then (with --commit) the commit."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--commit", action="store_true", help="commit after the dry run")
        parser.add_argument(
            "--partial", action="store_true", help="commit the valid rows even if some fail"
        )
        parser.add_argument(
            "--as",
            dest="email",
            default="",
            help="the user the import is made as (scope, and the audit's actor); default: none",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        user = None
        if options["email"]:
            user = User.objects.filter(email__iexact=options["email"]).first()
            if user is None:
                raise CommandError(f"No user {options['email']!r}.")
        try:
            with transaction.atomic():
                upload = services.import_create(
                    kind=options["kind"], filename=path.name, content=path.read_bytes(), user=user
                )
                # Run here, not on a worker: the queued dry run is taken back.
                ProcrastinateJob.objects.filter(args__import_id=upload.pk, status="todo").delete()
        except FileProblem as exc:
            self.stderr.write(f"{path}: {exc.detail}")
            sys.exit(2)

        upload = engine.validate(upload, progress=self._bar("dry run", options))
        self._report(upload)
        if upload.state == ImportState.FAILED:
            sys.exit(2)
        if not options["commit"]:
            self.stdout.write("Dry run only: nothing written (add --commit to write it).")
            sys.exit(1 if upload.errors else 0)
        if upload.errors and not options["partial"]:
            self.stderr.write("Not committed: rows are in error (mend them, or add --partial).")
            sys.exit(1)
        with transaction.atomic():
            upload = services.import_commit(upload=upload, partial=options["partial"], user=user)
            ProcrastinateJob.objects.filter(args__import_id=upload.pk, status="todo").delete()
        upload = engine.commit(upload, actor=user, progress=self._bar("commit", options))
        self._report(upload)
        if upload.state != ImportState.COMMITTED:
            sys.exit(2)
        sys.exit(1 if upload.errors else 0)

    def _bar(self, label: str, options: dict[str, Any]) -> Any:
        if options["no_progress"]:
            return None
        bar: dict[str, Any] = {}

        def progress(done: int, total: int) -> None:
            if "bar" not in bar:
                bar["bar"] = tqdm(total=total, desc=label, unit="rows", file=sys.stderr)
            bar["bar"].update(done - bar["bar"].n)
            if done >= total:
                bar["bar"].close()

        return progress

    def _report(self, upload: Import) -> None:
        self.stdout.write(
            f"import #{upload.pk} {upload.kind}: {upload.state} — {upload.rows_total} rows: "
            f"{upload.created} to create, {upload.updated} to update, "
            f"{upload.unchanged} unchanged, {upload.errors} in error"
            if upload.state == ImportState.VALIDATED
            else f"import #{upload.pk} {upload.kind}: {upload.state} — {upload.created} created, "
            f"{upload.updated} updated, {upload.unchanged} unchanged, {upload.errors} in error"
        )
        if upload.error:
            self.stderr.write(upload.error)
        errors = ImportRow.objects.filter(upload=upload, action=RowAction.ERROR).order_by("row")
        for row in errors[:SHOWN_ERRORS]:
            messages = "; ".join(
                f"{e['field']}: {e['message']}" if e.get("field") else e["message"]
                for e in row.errors
            )
            self.stderr.write(f"  row {row.row} ({row.key}): {messages}")
        if upload.errors > SHOWN_ERRORS:
            self.stderr.write(
                f"  … and {upload.errors - SHOWN_ERRORS} more (GET imports/{upload.pk}/errors.csv)"
            )
