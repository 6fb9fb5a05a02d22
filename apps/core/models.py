"""The change log: every create, update and delete of a tracked row (apps.core.capture)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class Action(models.TextChoices):
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"


class Change(models.Model):
    """One captured change of one row, written only by the database trigger `coveris_capture`:
    which entity, what happened, the fields' old and new values, who, when (the database's
    clock), in which request and why; a link of the entity's sha-256 chain. Append-only: the
    database refuses UPDATE, DELETE and TRUNCATE."""

    entity_type = models.CharField(max_length=32)
    entity_id = models.BigIntegerField()
    action = models.CharField(max_length=8, choices=Action.choices)
    changes = models.JSONField(default=dict)
    # The row after the change (its recorded columns; none after a delete): what `as_of`
    # reports read back (apps.core.asof).
    state = models.JSONField(null=True, blank=True)
    # The resource whose history/ the change belongs to: an employee for its contract hours.
    subject_type = models.CharField(max_length=32)
    subject_id = models.BigIntegerField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    at = models.DateTimeField()
    request_id = models.CharField(max_length=128, blank=True, default="")
    reason = models.TextField(blank=True, default="")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ("-at", "-id")
        indexes = [
            models.Index(fields=["entity_type", "entity_id", "id"], name="change_chain"),
            models.Index(fields=["subject_type", "subject_id", "at"], name="change_subject"),
            models.Index(fields=["at"], name="change_at"),
        ]

    def __str__(self) -> str:
        return f"{self.entity_type} {self.entity_id} {self.action}"

    def hashed_fields(self, changes_text: str, state_text: str | None) -> tuple[str, ...]:
        """The fields, as text, in the order the trigger hashes them (`changes_text` and
        `state_text` are the database's renderings of `changes` and `state`)."""
        return (
            self.entity_type,
            str(self.entity_id),
            self.action,
            self.subject_type,
            str(self.subject_id),
            "" if self.actor_id is None else str(self.actor_id),
            self.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            self.request_id,
            self.reason,
            changes_text,
            state_text or "",
        )
