"""What an evaluation knows about one assignment: its weeks and the hours around it, each fact
set loaded once (one query) and shared by every rule evaluated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import cached_property
from typing import Any

from apps.assignments import weekly
from apps.demand.selectors import CoverageWeek
from apps.offer.selectors import SupplyWeek
from apps.reports.weeks import MAX_WEEKS, week_start

Violation = dict[str, Any]

# Open-ended assignments are evaluated over this many weeks from their start.
HORIZON_WEEKS = 52

# Set by the tags app: (context, kind) -> violations of the required-tags rule.
required_tags_checker: Callable[[EvaluationContext, Any], list[Violation]] | None = None


class EvaluationContext:
    """The facts about an (unsaved or saved) assignment that rules are evaluated against."""

    def __init__(self, assignment: Any) -> None:
        self.assignment = assignment
        self.first = week_start(assignment.start_date)
        end = assignment.end_date or assignment.start_date + dt.timedelta(weeks=HORIZON_WEEKS)
        # Very long assignments are evaluated over their first MAX_WEEKS weeks.
        end = min(end, assignment.start_date + dt.timedelta(weeks=MAX_WEEKS - 1))
        self.last = week_start(end)

    @property
    def employee_name(self) -> str:
        employee = self.assignment.employee
        return f"{employee.first_name} {employee.last_name}"

    @cached_property
    def employee_weeks(self) -> list[SupplyWeek]:
        """Supply, other assigned hours and concurrent assignments per week (1 query)."""
        return weekly.employee_weeks(
            employee_id=self.assignment.employee_id,
            first=self.first,
            last=self.last,
            exclude_assignment=self.assignment.pk,
        )

    @cached_property
    def position_weeks(self) -> list[CoverageWeek]:
        """Demand and other assigned hours of the position per week (1 query)."""
        return weekly.position_weeks(
            position_id=self.assignment.position_id,
            first=self.first,
            last=self.last,
            exclude_assignment=self.assignment.pk,
        )

    def subject_hours(self, monday: dt.date) -> Decimal:
        """This assignment's hours in the week starting `monday`, pro rata."""
        a = self.assignment
        return weekly.pro_rata(Decimal(a.weekly_hours), a.start_date, a.end_date, monday)

    def employee_total(self, week: SupplyWeek) -> Decimal:
        return week.assigned + self.subject_hours(week.week_start)

    def position_total(self, week: CoverageWeek) -> Decimal:
        return week.assigned + self.subject_hours(week.week_start)

    def required_tag_violations(self, kind: Any) -> list[Violation]:
        """Required-tag checks, once the tags app provides them; none before."""
        if required_tags_checker is None:
            return []
        return required_tags_checker(self, kind)
