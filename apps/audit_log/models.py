"""One read-only stream over every append-only log (a database view, see migrations)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class EntityType(models.TextChoices):
    """What an audit row is about: the one list of the view's `entity_type` values (the view's
    SQL, the filter, the serializer and so the schema use it). Every tracked model's
    `audit_tracking.entity_type` is one (tests/audit_log/test_sql.py)."""

    ORG_UNIT = "org_unit", "Org unit"
    POSITION = "position", "Position"
    EMPLOYEE = "employee", "Employee"
    CONTRACT_HOURS = "contract_hours", "Contract hours version"
    WEEKLY_HOURS = "weekly_hours", "Weekly hours version"
    COVERAGE_REQUIREMENT = "coverage_requirement", "Coverage requirement"
    BUSINESS_RULE = "business_rule", "Business rule"
    TAG = "tag", "Tag"
    EMPLOYEE_TAG = "employee_tag", "Employee tag"
    POSITION_TAG = "position_tag", "Position tag"
    USER = "user", "User"
    ASSIGNMENT = "assignment", "Assignment"
    WORK_CALENDAR = "work_calendar", "Working calendar"
    CALENDAR_DAY = "calendar_day", "Calendar day"
    WEBHOOK = "webhook", "Webhook"
    GAP_THRESHOLD = "gap_threshold", "Gap threshold"
    LEAVE_REQUEST = "leave_request", "Leave request"
    LEAVE_ENTITLEMENT = "leave_entitlement", "Leave entitlement"

    @property
    def collection(self) -> str:
        """The API collection of subjects of this type (`employees`, `org-units`)."""
        return COLLECTIONS.get(self.value, f"{self.value.replace('_', '-')}s")


# Where the collection's name is not the type's plural; the versions live under their subject.
COLLECTIONS = {
    "contract_hours": "contract-hours",
    "weekly_hours": "weekly-hours",
    "work_calendar": "calendars",
}


class Action(models.TextChoices):
    """What happened: a captured change (create, update, delete) or a logged transition (of a
    lifecycle, the hours ledger or the tags)."""

    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    TRANSITION = "transition", "Transition"


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
    action = models.CharField(max_length=16, choices=Action.choices)
    changes = models.JSONField(help_text="A captured change's fields: {field: [old, new]}.")
    # The resource whose history/ lists the row: the entity itself, or the employee or position
    # a version, a tag or a requirement belongs to.
    subject_type = models.CharField(max_length=32, choices=EntityType.choices)
    subject_id = models.BigIntegerField()

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
        """The API path of the subject the row is about (a version's under its subject's)."""
        if self.entity_type in COLLECTIONS and self.subject_type != self.entity_type:
            parent = _collection(self.subject_type)
            return f"/api/v1/{parent}/{self.subject_id}/{COLLECTIONS[self.entity_type]}/"
        return f"/api/v1/{_collection(self.entity_type)}/{self.entity_id}/"


def _collection(entity_type: str) -> str:
    try:
        return EntityType(entity_type).collection
    except ValueError:
        return entity_type
