"""The states of the lifecycles (kept apart so models and migrations can import them cheaply)."""

from django.db import models


class EmployeeState(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    ON_LEAVE = "on_leave", "On leave"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class AssignmentState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    ENDED = "ended", "Ended"
    CANCELLED = "cancelled", "Cancelled"
    REJECTED = "rejected", "Rejected"


# Assignments whose hours count as assigned (against supply and towards coverage).
COUNTED_ASSIGNMENT_STATES = (AssignmentState.APPROVED.value, AssignmentState.ACTIVE.value)
