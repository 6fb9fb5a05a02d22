"""What the engine needs to know about a subject of rules: the base every subject's context
extends (apps.assignments.rules.AssignmentContext, for one)."""

from __future__ import annotations

from typing import Any

Violation = dict[str, Any]


class RuleContext:
    """The facts about one (saved or unsaved) subject that rules are evaluated against.

    A subject's app subclasses it with the facts its kinds read, each loaded once and shared by
    every rule evaluated; the engine only needs `scope_path`.
    """

    def __init__(self, subject: Any) -> None:
        self.subject = subject

    @property
    def scope_path(self) -> str:  # pragma: no cover - every subject's context defines it
        """The org-unit path a rule's scope is matched against."""
        raise NotImplementedError
