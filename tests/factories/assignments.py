"""Factories for assignments and rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from apps.assignments.models import Assignment
from apps.business_rules.models import BusinessRule
from apps.fsm.services import transition_cascade

MONDAY = dt.date(2026, 3, 2)  # ISO week 2026-W10


def make_assignment(
    employee,
    position,
    *,
    state: str = "proposed",
    actor=None,
    start=MONDAY,
    end=None,
    hours="20.00",
) -> Assignment:
    """An assignment brought to `state` through the transition path (rules not evaluated)."""
    assignment = Assignment.objects.create(
        employee=employee,
        position=position,
        start_date=start,
        end_date=end,
        weekly_hours=Decimal(hours),
    )
    path = {
        "proposed": [],
        "approved": ["approve"],
        "active": ["approve", "activate"],
        "ended": ["approve", "activate", "end"],
        "cancelled": ["cancel"],
        "rejected": ["reject"],
    }[state]
    for name in path:
        assignment, _ = transition_cascade(
            subject=assignment, transition=name, actor=actor, reason=""
        )
    return assignment


def only_rule(
    code: str,
    kind: str,
    params: dict,
    *,
    severity: str = "error",
    transitions=("approve",),
    scope=None,
) -> BusinessRule:
    """Disable every other rule and create this one."""
    BusinessRule.objects.update(enabled=False)
    return BusinessRule.objects.create(
        code=code,
        name=code,
        kind=kind,
        params=params,
        severity=severity,
        transitions=list(transitions),
        scope=scope,
    )
