"""Append-only, hash-chained logs of state transitions."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

from apps.core.capture import GENESIS
from apps.fsm.chain import link_hash


class HashChainedLog(models.Model):
    """Base of every append-only log: a sha-256 chain per subject; the database refuses edits.

    Subclasses declare `subject` (a ForeignKey) and list the fields that enter the hash in
    `hashed_fields`; `append` is the only way rows are written. A log whose subject is more than
    one column (a type and an id) names those columns in `chain_key_fields`.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.TextField(blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, unique=True)

    hashed_fields: ClassVar[tuple[str, ...]] = ()
    subject_field: ClassVar[str] = "subject"
    # The columns that identify one chain; empty: the subject's id alone.
    chain_key_fields: ClassVar[tuple[str, ...]] = ()

    class Meta:
        abstract = True

    def hash_payload(self) -> dict[str, Any]:
        """The row's content as it enters the hash (ids for relations)."""
        payload: dict[str, Any] = {
            "subject": getattr(self, f"{self.subject_field}_id"),
            "actor": self.actor_id,
            "at": self.at,
            "reason": self.reason,
            "request_id": self.request_id,
            "metadata": self.metadata,
        }
        for name in self.hashed_fields:
            payload[name] = getattr(self, name)
        return payload

    def compute_hash(self) -> str:
        return link_hash(self.prev_hash, self.hash_payload())

    @classmethod
    def chain_fields(cls) -> tuple[str, ...]:
        """The attribute names whose values identify a row's chain."""
        return cls.chain_key_fields or (f"{cls.subject_field}_id",)

    def chain_key(self) -> tuple[Any, ...]:
        """The values that identify this row's chain."""
        return tuple(getattr(self, name) for name in self.chain_fields())

    @classmethod
    def head_and_now(cls, *key: Any) -> tuple[str, Any]:
        """The chain's head for a subject's key (callers hold the subject's row lock) and the
        database's clock, in one query: recorded times come from the database, not from the
        worker that writes."""
        columns = [cls._meta.get_field(name).column for name in cls.chain_fields()]  # type: ignore[union-attr]
        where = " AND ".join(f"{column} = %s" for column in columns)
        table = cls._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT (SELECT hash FROM {table} WHERE {where} ORDER BY id DESC LIMIT 1),"
                " clock_timestamp()",
                list(key),
            )
            head, now = cursor.fetchone()
        return head or GENESIS, now

    @classmethod
    def append(cls, **fields: Any) -> Any:
        """Write the next row of the subject's chain, dated by the database's clock (an `at`
        passed in is not used; the database refuses a row dated in its future)."""
        row = cls(**fields)
        row.prev_hash, row.at = cls.head_and_now(*row.chain_key())
        row.hash = row.compute_hash()
        row.save(force_insert=True)
        return row


class TransitionLog(HashChainedLog):
    """One state transition of a subject: what, from, to, who, when, why."""

    transition = models.CharField(max_length=64)
    from_state = models.CharField(max_length=32)
    to_state = models.CharField(max_length=32)

    hashed_fields = ("transition", "from_state", "to_state")

    class Meta:
        abstract = True


class EmployeeTransitionLog(TransitionLog):
    """The lifecycle history of an employee."""

    subject = models.ForeignKey(
        "org.Employee", on_delete=models.PROTECT, related_name="transition_logs"
    )

    class Meta:
        ordering = ("-at", "-id")
        indexes = [models.Index(fields=["subject", "id"], name="emp_log_subject_id")]

    def __str__(self) -> str:
        return f"{self.subject_id}: {self.from_state} → {self.to_state} ({self.transition})"
