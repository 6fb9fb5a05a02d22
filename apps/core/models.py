"""The change log: every create, update and delete of a tracked row (apps.core.capture)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models.functions import Now


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


class IdempotencyKey(models.Model):
    """One `Idempotency-Key` a user sent with a POST, and the answer to replay for it
    (apps.core.idempotency). Written in the transaction of the request's own writes; kept
    24 hours (`manage.py purge_idempotency_keys`). Not change-captured: it records requests,
    not facts."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # "POST /api/v1/assignments/": a key names one request to one endpoint.
    request = models.TextField()
    # HMAC-SHA256 (under SECRET_KEY) of the query string, content type and body it came with.
    fingerprint = models.CharField(max_length=64)
    # The answer: none while the first request runs (never committed so).
    status_code = models.PositiveSmallIntegerField(null=True)
    response_headers = models.JSONField(default=dict)
    response_body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")
        ]
        indexes = [models.Index(fields=["created_at"], name="idempotency_key_created")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.key}"


class DataVersion(models.Model):
    """The version of a named set of tables, for results computed from them (apps.core.versions):
    a few slots per name, each a random token. Every transaction that writes one of the set's
    tables replaces one slot's token as it commits (a deferred trigger, the same transaction as
    the write), so the slots' tokens together change exactly when committed data may have: a
    result kept under them is right for as long as they are the current ones. A committing
    writer takes a slot no other committing writer holds (SKIP LOCKED) and adds one when all
    are held: writers never wait on each other here. Written only by the trigger function."""

    name = models.CharField(max_length=32, db_index=True)
    token = models.UUIDField()
    changed_at = models.DateTimeField()

    class Meta:
        verbose_name = "data version"

    def __str__(self) -> str:
        return f"{self.name} {self.token}"
