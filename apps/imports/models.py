"""A bulk import (DESIGN.md §9): the file as uploaded, its dry run row by row, and its commit.

The rows' facts are not here: a commit writes them through the same services as the API, and
those record every change. An import is the request that asked for them (its `request_id` is
on every audit row it caused)."""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class ImportState(models.TextChoices):
    QUEUED = "queued", "Queued"
    VALIDATING = "validating", "Validating (dry run)"
    VALIDATED = "validated", "Validated: ready to commit"
    COMMITTING = "committing", "Committing"
    COMMITTED = "committed", "Committed"
    FAILED = "failed", "Failed"


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all_or_nothing", "All or nothing"
    PARTIAL = "partial", "Partial: the valid rows"


class RowAction(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    UNCHANGED = "unchanged", "Unchanged"
    ERROR = "error", "Error"


class Import(models.Model):
    kind = models.CharField(max_length=32)
    state = models.CharField(max_length=16, choices=ImportState.choices, default=ImportState.QUEUED)
    mode = models.CharField(
        max_length=16, choices=ImportMode.choices, default=ImportMode.ALL_OR_NOTHING
    )
    filename = models.CharField(max_length=255, blank=True, default="")
    file_format = models.CharField(max_length=8)  # csv | xlsx
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    request_id = models.CharField(max_length=128, blank=True, default="")
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    # Why a whole import failed (a file that cannot be read, a commit refused); row errors are
    # on the rows.
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    validated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["created_by", "created_at"], name="import_by_user")]

    def __str__(self) -> str:
        return f"{self.kind} import #{self.pk} ({self.state})"


class ImportFile(models.Model):
    """The uploaded bytes, apart from the import's row so that listing imports never reads
    them; any worker on any host reads them from the database."""

    upload = models.OneToOneField(Import, on_delete=models.CASCADE, related_name="file")
    content = models.BinaryField()
    size = models.PositiveBigIntegerField()

    def __str__(self) -> str:
        return f"file of import #{self.upload_id}"


class ImportRow(models.Model):
    """One data row of the file and what the dry run (then the commit) made of it."""

    upload = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="rows")
    # The row's line in the file (the header is row 1), as a spreadsheet numbers it.
    row = models.PositiveIntegerField()
    action = models.CharField(max_length=16, choices=RowAction.choices)
    key = models.CharField(max_length=255, blank=True, default="")
    values = models.JSONField(default=dict)  # the cells as read, by column
    changed = models.JSONField(default=list)  # the columns an update changes
    errors = models.JSONField(default=list)  # [{field, code, message}]
    # The business rules' findings (assignments): as simulate reports them.
    violations = models.JSONField(default=list, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ("upload", "row")
        constraints = [
            models.UniqueConstraint(fields=["upload", "row"], name="unique_import_row"),
        ]
        indexes = [models.Index(fields=["upload", "action", "row"], name="import_row_action")]

    def __str__(self) -> str:
        return f"row {self.row} of import #{self.upload_id}: {self.action}"
