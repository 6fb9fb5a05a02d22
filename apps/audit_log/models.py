"""One read-only stream over every append-only log (a database view, see migrations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EntityType(models.TextChoices):
    """What an audit row is about: the one list of the view's `entity_type` values (the view's
    SQL, the filter, the serializer and so the schema use it)."""

    EMPLOYEE = "employee", "Employee"
    ASSIGNMENT = "assignment", "Assignment"
    POSITION = "position", "Position"

    @property
    def collection(self) -> str:
        """The API collection of subjects of this type (`employees`)."""
        return f"{self.value}s"


class AuditEntry(models.Model):
    """A row of any log: what changed on which subject, from what to what, who, when, why."""

    uid = models.CharField(max_length=64, primary_key=True)  # "<source>:<row id>"
    source = models.CharField(max_length=32)  # the log table the row lives in
    source_id = models.BigIntegerField()
    entity_type = models.CharField(max_length=32, choices=EntityType.choices)
    entity_id = models.BigIntegerField()
    transition = models.CharField(max_length=64)
    from_state = models.TextField()
    to_state = models.TextField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    at = models.DateTimeField()
    reason = models.TextField()
    request_id = models.CharField(max_length=128)
    metadata = models.JSONField()
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        managed = False
        db_table = "audit_log_entry"
        ordering = ("-at", "-source", "-source_id")
        verbose_name = "audit log entry"
        verbose_name_plural = "audit log"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.entity_type} {self.entity_id} {self.transition}"

    @property
    def subject_path(self) -> str:
        """The API path of the subject the row is about."""
        try:
            collection = EntityType(self.entity_type).collection
        except ValueError:
            collection = self.entity_type
        return f"/api/v1/{collection}/{self.entity_id}/"
