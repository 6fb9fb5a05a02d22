"""The employee lifecycle as django-fsm-2 transitions (DESIGN.md section 4).

The methods only move the state; everything around a transition (locking, permission, rules,
the log row, side effects, signals) is done by `apps.fsm.services.transition_apply`.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django_fsm import FSMField, transition

from apps.fsm.states import EmployeeState as S

NON_FINAL = [S.CANDIDATE, S.ONBOARDING, S.ACTIVE, S.ON_LEAVE, S.SUSPENDED]


def employee_state_field() -> FSMField:
    """The protected state field: it changes only through transitions."""
    return FSMField(default=S.CANDIDATE, choices=S.choices, protected=True, db_index=True)


class EmployeeFSMMixin:
    """candidate → onboarding → active ⇄ on_leave, active ⇄ suspended, non-final → terminated."""

    hire_date: dt.date
    termination_date: dt.date | None

    @transition(field="state", source=S.CANDIDATE, target=S.ONBOARDING)
    def start_onboarding(self) -> None:
        """Begin onboarding a hired candidate."""

    @transition(field="state", source=S.ONBOARDING, target=S.ACTIVE)
    def activate(self) -> None:
        """Onboarding finished: the employee works."""

    @transition(field="state", source=S.ACTIVE, target=S.ON_LEAVE)
    def start_leave(self) -> None:
        """The employee goes on leave."""

    @transition(field="state", source=S.ON_LEAVE, target=S.ACTIVE)
    def return_from_leave(self) -> None:
        """The employee is back from leave."""

    @transition(field="state", source=S.ACTIVE, target=S.SUSPENDED)
    def suspend(self) -> None:
        """The employee is suspended."""

    @transition(field="state", source=S.SUSPENDED, target=S.ACTIVE)
    def reinstate(self) -> None:
        """The suspension ends."""

    @transition(field="state", source=NON_FINAL, target=S.TERMINATED)
    def terminate(self) -> None:
        """Employment ends (final) today unless a date was set; open assignments end with it."""
        if self.termination_date is None:
            self.termination_date = max(self.hire_date, timezone.localdate())
