"""The rules that read an assignment's weekly facts: the assignment's rule context and the
hours and state kinds (registered with the rule engine in AssignmentsConfig.ready())."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import cached_property
from typing import Any

from rest_framework import serializers

from apps.assignments import weekly
from apps.business_rules.context import RuleContext, Violation
from apps.business_rules.kinds import Kind, over_limit, register
from apps.core.serializers import DecimalField
from apps.demand.selectors import CoverageWeek
from apps.fsm.states import EmployeeState
from apps.offer.selectors import SupplyWeek
from apps.reports.weeks import MAX_WEEKS, week_label, week_start

# Open-ended assignments are evaluated over this many weeks from their start.
HORIZON_WEEKS = 52


class AssignmentContext(RuleContext):
    """The facts about an (unsaved or saved) assignment that rules are evaluated against."""

    def __init__(self, assignment: Any) -> None:
        super().__init__(assignment)
        self.assignment = assignment
        self.first = week_start(assignment.start_date)
        end = assignment.end_date or assignment.start_date + dt.timedelta(weeks=HORIZON_WEEKS)
        # Very long assignments are evaluated over their first MAX_WEEKS weeks.
        end = min(end, assignment.start_date + dt.timedelta(weeks=MAX_WEEKS - 1))
        self.last = week_start(end)

    @property
    def scope_path(self) -> str:
        """Rules scoped to an org unit apply to positions in its subtree."""
        return str(self.assignment.position.org_unit.path)

    @property
    def employee_name(self) -> str:
        employee = self.assignment.employee
        return f"{employee.first_name} {employee.last_name}"

    @cached_property
    def employee_weeks(self) -> list[SupplyWeek]:
        """Supply, other assigned hours and concurrent assignments per week (1 query)."""
        a = self.assignment
        return weekly.employee_weeks(
            employee_id=a.employee_id,
            first=self.first,
            last=self.last,
            exclude_assignment=a.pk,
            subject=(Decimal(a.weekly_hours), a.start_date, a.end_date),
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

    @cached_property
    def _subject_by_week(self) -> dict[dt.date, Decimal]:
        return {w.week_start: w.subject for w in self.employee_weeks}

    def subject_hours(self, monday: dt.date) -> Decimal:
        """This assignment's hours in the week starting `monday`, on its employee's working
        days (their calendar's; 1/7 a day without one)."""
        hours = self._subject_by_week.get(monday)
        if hours is None:  # no such employee (a rule evaluated before validation)
            a = self.assignment
            return weekly.pro_rata(Decimal(a.weekly_hours), a.start_date, a.end_date, monday)
        return hours

    def employee_total(self, week: SupplyWeek) -> Decimal:
        return week.assigned + self.subject_hours(week.week_start)

    def position_total(self, week: CoverageWeek) -> Decimal:
        return week.assigned + self.subject_hours(week.week_start)


class AssignmentKind(Kind):
    """A kind that reads an assignment's facts."""

    context = AssignmentContext


class WeeklyLimitKind(AssignmentKind):
    """A kind whose facts are a weekly total against a weekly limit: one violation naming the
    weeks over it and the facts of the worst one."""

    def weeks(self, ctx: AssignmentContext) -> list[Any]:  # pragma: no cover
        raise NotImplementedError

    def total(self, ctx: AssignmentContext, week: Any) -> Decimal:  # pragma: no cover
        raise NotImplementedError

    def limit(self, week: Any) -> Decimal:  # pragma: no cover
        raise NotImplementedError

    def message(self, ctx: AssignmentContext, week: str, total: Decimal, limit: Decimal) -> str:
        raise NotImplementedError  # pragma: no cover

    def evaluate(self, ctx: AssignmentContext) -> list[Violation]:
        over, worst = over_limit(self.weeks(ctx), lambda w: self.total(ctx, w), self.limit)
        if not over:
            return []
        total, limit = self.total(ctx, worst), self.limit(worst)
        message = self.message(ctx, week_label(worst.week_start), total, limit)
        weeks = [w.week_start for w in over]
        return [self.violation(ctx, message, weeks, limit=limit, actual=total)]


class MaxHoursParams(serializers.Serializer):  # type: ignore[type-arg]
    max_hours = DecimalField(max_digits=6, decimal_places=2, min_value=0, max_value=168)


@register
class MaxWeeklyHours(WeeklyLimitKind):
    name = "max_weekly_hours"
    description = "An employee's assigned hours in any week stay at or below max_hours."
    params_serializer = MaxHoursParams

    def weeks(self, ctx: AssignmentContext) -> list[Any]:
        return ctx.employee_weeks

    def total(self, ctx: AssignmentContext, week: Any) -> Decimal:
        return ctx.employee_total(week)

    def limit(self, week: Any) -> Decimal:
        return Decimal(str(self.params["max_hours"]))

    def message(self, ctx: AssignmentContext, week: str, total: Decimal, limit: Decimal) -> str:
        return f"{ctx.employee_name} would work {total} h in {week}, over the limit of {limit} h."


@register
class NoOvercommit(WeeklyLimitKind):
    name = "no_overcommit"
    description = "An employee's assigned hours in any week stay within their supply."

    def weeks(self, ctx: AssignmentContext) -> list[Any]:
        return ctx.employee_weeks

    def total(self, ctx: AssignmentContext, week: Any) -> Decimal:
        return ctx.employee_total(week)

    def limit(self, week: Any) -> Decimal:
        return Decimal(week.supply)

    def message(self, ctx: AssignmentContext, week: str, total: Decimal, limit: Decimal) -> str:
        name = ctx.employee_name
        return f"{name} would be assigned {total} h in {week} but has {limit} h available."


class StatesParams(serializers.Serializer):  # type: ignore[type-arg]
    states = serializers.ListField(
        child=serializers.ChoiceField(choices=EmployeeState.choices),
        min_length=1,
        max_length=len(EmployeeState.choices),
    )


@register
class AllowedEmployeeStates(AssignmentKind):
    name = "allowed_employee_states"
    description = "The employee is in one of the listed lifecycle states."
    params_serializer = StatesParams

    def evaluate(self, ctx: AssignmentContext) -> list[Violation]:
        allowed = list(self.params["states"])
        state = ctx.assignment.employee.state
        if state in allowed:
            return []
        return [
            self.violation(
                ctx,
                f"{ctx.employee_name} is {state}; allowed: {', '.join(allowed)}.",
                [w.week_start for w in ctx.employee_weeks],
                allowed=allowed,
                actual=state,
            )
        ]


class ToleranceParams(serializers.Serializer):  # type: ignore[type-arg]
    tolerance = DecimalField(max_digits=5, decimal_places=2, min_value=0, max_value=10)


@register
class PositionCapacity(WeeklyLimitKind):
    name = "position_capacity"
    description = "Hours assigned to a position stay within its demand × (1 + tolerance)."
    params_serializer = ToleranceParams

    def weeks(self, ctx: AssignmentContext) -> list[Any]:
        return ctx.position_weeks

    def total(self, ctx: AssignmentContext, week: Any) -> Decimal:
        return ctx.position_total(week)

    def limit(self, week: Any) -> Decimal:
        factor = 1 + Decimal(str(self.params["tolerance"]))
        return Decimal(week.required * factor).quantize(Decimal("0.01"))

    def message(self, ctx: AssignmentContext, week: str, total: Decimal, limit: Decimal) -> str:
        code = ctx.assignment.position.code
        return f"Position {code} would have {total} h assigned in {week}; capacity is {limit} h."


class MaxParams(serializers.Serializer):  # type: ignore[type-arg]
    max = serializers.IntegerField(min_value=1, max_value=100)


@register
class MaxConcurrentAssignments(AssignmentKind):
    name = "max_concurrent_assignments"
    description = "An employee holds at most `max` approved or active assignments in any week."
    params_serializer = MaxParams

    def evaluate(self, ctx: AssignmentContext) -> list[Violation]:
        limit = int(self.params["max"])
        weeks = [w for w in ctx.employee_weeks if ctx.subject_hours(w.week_start) > 0]
        over = [w for w in weeks if w.assignments + 1 > limit]
        if not over:
            return []
        actual = max(w.assignments + 1 for w in over)
        return [
            self.violation(
                ctx,
                f"{ctx.employee_name} would hold {actual} assignments at once; "
                f"the maximum is {limit}.",
                [w.week_start for w in over],
                limit=limit,
                actual=actual,
            )
        ]
