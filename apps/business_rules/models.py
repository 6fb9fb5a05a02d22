"""The catalogue of business rules that guard assignment transitions."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.postgres.fields import ArrayField
from django.db import models

from apps.core.capture import Tracking
from apps.core.constraints import unique_ignoring_case


class Severity(models.TextChoices):
    ERROR = "error", "Error (blocks)"
    WARNING = "warning", "Warning (logged)"


# What a rule guards when its author does not say: the creation and the approval, where a
# booking's hours are decided.
DEFAULT_TRANSITIONS = ("approve", "propose")


def guarded_by_default() -> list[str]:
    return list(DEFAULT_TRANSITIONS)


class BusinessRule(models.Model):
    """One configured rule: an evaluator `kind` with `params`, guarding some transitions."""

    # Every create, update and delete is recorded (apps.core.capture).
    audit_tracking: ClassVar[Tracking] = Tracking("business_rule")

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=64)
    params = models.JSONField(default=dict, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.ERROR)
    enabled = models.BooleanField(default=True)
    scope = models.ForeignKey(
        "org.OrgUnit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Applies to positions in this unit's subtree; empty: everywhere.",
    )
    transitions = ArrayField(
        models.CharField(max_length=64),
        default=guarded_by_default,
        blank=True,
        help_text="Assignment transitions it guards ('propose' is the creation); by default "
        "propose and approve.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("code",)
        constraints = [
            unique_ignoring_case(
                "code",
                name="businessrule_code_ci_unique",
                message="A business rule with this code exists (codes ignore case).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.kind}, {self.severity})"
