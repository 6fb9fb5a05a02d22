"""Starting an import and confirming it: the only writes of the imports app itself (the rows'
facts are written by the domain services, from apps.imports.engine)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.core import request_id as request_ids
from apps.core.codes import ErrorCode
from apps.core.exceptions import Conflict, Unprocessable
from apps.imports.engine import check_upload
from apps.imports.files import file_format
from apps.imports.kinds import kind_for
from apps.imports.models import Import, ImportFile, ImportMode, ImportState
from apps.imports.tasks import commit_import, validate_import


@transaction.atomic
def import_create(*, kind: str, filename: str, content: bytes, user: Any) -> Import:
    """Check the file as a whole (FileProblem: a 400), keep it, and queue its dry run."""
    fmt = file_format(filename, content)
    check_upload(kind_for(kind), content, fmt)
    upload = Import.objects.create(
        kind=kind,
        filename=filename[:255],
        file_format=fmt,
        created_by=user if getattr(user, "pk", None) else None,
        request_id=request_ids.get(),
    )
    ImportFile.objects.create(upload=upload, content=content, size=len(content))
    validate_import.defer(import_id=upload.pk)
    return upload


@transaction.atomic
def import_commit(*, upload: Import, partial: bool, user: Any) -> Import:
    """Queue the commit of a validated import (once: a second confirm is a 409)."""
    locked = Import.objects.select_for_update().get(pk=upload.pk)
    if locked.state != ImportState.VALIDATED:
        raise Conflict(
            f"The import is {locked.state}: only a validated import can be committed, once.",
            code=ErrorCode.IMPORT_NOT_VALIDATED,
            state=locked.state,
        )
    if locked.errors and not partial:
        raise Unprocessable(
            f"{locked.errors} rows have errors (GET imports/{locked.pk}/errors.csv): mend the "
            'file and import it again, or commit the valid rows with {"partial": true}.',
            code=ErrorCode.IMPORT_HAS_ERRORS,
            errors_count=locked.errors,
        )
    locked.state = ImportState.COMMITTING
    locked.mode = ImportMode.PARTIAL if partial else ImportMode.ALL_OR_NOTHING
    locked.committed_by = user if getattr(user, "pk", None) else None
    locked.rows_done = 0
    locked.save(update_fields=["state", "mode", "committed_by", "rows_done"])
    commit_import.defer(import_id=locked.pk)
    return locked
