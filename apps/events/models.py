"""The outbox of events (every audit entry, as a CloudEvent) and the webhooks that receive them.

`Event` rows are written by database triggers on every audit table, in the writing transaction
(apps/events/migrations/0002_outbox.py); the table refuses UPDATE, DELETE and TRUNCATE. A
reader orders them by (`xid`, `id`) and reads only rows whose transaction is older than every
transaction still open (apps.events.feed), so it never passes an event that commits later.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from apps.core.capture import Tracking


class Event(models.Model):
    """One event: an audit entry (or a coverage gap opening or closing) as a CloudEvent."""

    # The id of the transaction that wrote it (xid8, monotonic): the feed's first sort key.
    xid = models.BigIntegerField(editable=False)
    uid = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=96)
    subject = models.CharField(max_length=96)
    entity_type = models.CharField(max_length=32)
    entity_id = models.BigIntegerField(null=True)
    # The org unit the subject belonged to when the event was written (subscriptions filter
    # on its subtree); none for org-wide subjects (users, tags, calendars).
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    time = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ("xid", "id")
        indexes = [
            models.Index(fields=["xid", "id"], name="event_position"),
            models.Index(fields=["time"], name="event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.subject}"


class Webhook(models.Model):
    """A subscription: events of `event_types` (all when empty) about subjects in `org_unit`'s
    subtree (all when none) are POSTed to `url`, signed per Standard Webhooks."""

    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True, default="")
    event_types = models.JSONField(default=list, blank=True)
    org_unit = models.ForeignKey(
        "org.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(default=True)
    # The signing secret, encrypted (apps.events.secrets); after a rotation the previous one
    # signs too until `previous_secret_expires_at`.
    secret_encrypted = models.TextField(editable=False)
    previous_secret_encrypted = models.TextField(editable=False, blank=True, default="")
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set when deliveries start failing (cleared by a success); 24 h of failures disable it.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=200, blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    audit_tracking: ClassVar[Tracking] = Tracking(
        "webhook",
        exclude=("secret_encrypted", "previous_secret_encrypted", "failing_since"),
    )

    class Meta:
        ordering = ("id",)

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    DEAD = "dead", "Dead (gave up)"


class Delivery(models.Model):
    """One event for one webhook: delivered at least once, in order per subject and webhook;
    retried with exponential backoff until `WEBHOOK_RETRY_WINDOW` after the first attempt,
    then dead (retried only by hand)."""

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, related_name="+")
    # Deliveries of one subject go to one shard; one job at a time delivers a (webhook, shard).
    subject = models.CharField(max_length=96)
    shard = models.SmallIntegerField()
    state = models.CharField(
        max_length=16, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    first_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status = models.IntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True, default="")
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("-id",)
        constraints = [
            models.UniqueConstraint(fields=["webhook", "event"], name="delivery_once_per_event")
        ]
        indexes = [
            models.Index(
                fields=["webhook", "shard", "id"],
                name="delivery_pending",
                condition=models.Q(state="pending"),
            ),
            models.Index(fields=["webhook", "id"], name="delivery_webhook"),
        ]

    def __str__(self) -> str:
        return f"{self.webhook_id}/{self.event_id} {self.state}"


class Attempt(models.Model):
    """One HTTP request of a delivery: when, the answer's status (none when there was no
    answer), how long it took, and what went wrong."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField()
    status_code = models.IntegerField(null=True, blank=True)
    duration_ms = models.IntegerField()
    error = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ("delivery", "id")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"


class DispatchCursor(models.Model):
    """Where the dispatcher has read the event feed to (one row): events after it are not yet
    fanned out into deliveries."""

    name = models.CharField(max_length=32, unique=True)
    xid = models.BigIntegerField(default=0)
    event_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.name} at {self.xid}/{self.event_id}"

    @property
    def position(self) -> tuple[int, int]:
        return (self.xid, self.event_id)

    def as_dict(self) -> dict[str, Any]:
        return {"xid": self.xid, "event_id": self.event_id}


class GapThreshold(models.Model):
    """The smallest weekly gap (hours) of an org unit's positions that opens or closes a gap
    event; units without one follow their nearest ancestor's, else GAP_EVENT_THRESHOLD_HOURS."""

    org_unit = models.OneToOneField(
        "org.OrgUnit", on_delete=models.CASCADE, related_name="+", unique=True
    )
    hours = models.DecimalField(max_digits=6, decimal_places=2)

    audit_tracking: ClassVar[Tracking] = Tracking(
        "gap_threshold", subject_type="org_unit", subject_column="org_unit_id"
    )

    class Meta:
        ordering = ("org_unit",)
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="gap_threshold_positive")
        ]

    def __str__(self) -> str:
        return f"{self.org_unit_id}: {self.hours} h"
