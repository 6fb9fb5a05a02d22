"""The states of the lifecycles (kept apart so models and migrations can import them cheaply)."""

from django.db import models


class EmployeeState(models.TextChoices):
    CANDIDATE = "candidate", "Candidate"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    ON_LEAVE = "on_leave", "On leave"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"
