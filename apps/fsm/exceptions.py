"""Typed errors of the transition path; the problem handler renders them."""

from __future__ import annotations

from typing import Any

from apps.core.codes import ErrorCode
from apps.core.exceptions import Conflict, Unprocessable


class TransitionNotAllowed(Conflict):
    """The transition does not leave the subject's current state (or a racer got there first)."""

    default_code = ErrorCode.TRANSITION_NOT_ALLOWED
    default_detail = "This transition is not allowed from the current state."


class RuleViolation(Unprocessable):
    """Business rules with severity `error` block the transition."""

    default_code = ErrorCode.RULE_VIOLATION
    default_detail = "Business rules block this change."

    def __init__(self, violations: list[dict[str, Any]], detail: str | None = None) -> None:
        super().__init__(detail=detail, violations=violations)
        self.violations = violations
