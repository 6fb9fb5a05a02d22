"""The required-tags rule kind, registered by the tags app: the employee holds every tag the
position requires, at the minimum level, valid on every day of every week the assignment covers
(two queries per evaluation)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from apps.assignments.rules import AssignmentContext, AssignmentKind
from apps.business_rules.context import Violation
from apps.business_rules.kinds import Kind, register
from apps.reports.weeks import week_end, week_label, week_range
from apps.tags.coverage import Held, qualifying_periods, uncovered_weeks
from apps.tags.models import EmployeeTag, PositionTag, Requirement


def weeks_text(mondays: list[dt.date]) -> str:
    """ "2026-W12", "2026-W12 to 2026-W14", or "3 weeks between 2026-W12 and 2026-W20"."""
    first, last = week_label(mondays[0]), week_label(mondays[-1])
    if len(mondays) == 1:
        return first
    if (mondays[-1] - mondays[0]).days // 7 + 1 == len(mondays):
        return f"{first} to {last}"
    return f"{len(mondays)} weeks between {first} and {last}"


def _iso(day: dt.date) -> str | None:
    return None if day == dt.date.max else day.isoformat()


@register
class RequiredTags(AssignmentKind):
    name = "required_tags"
    description = (
        "The employee holds every tag the position requires, at the minimum level, "
        "valid in every week of the assignment."
    )

    def evaluate(self, ctx: AssignmentContext) -> list[Violation]:
        return required_tag_violations(ctx, self)


def required_tag_violations(ctx: AssignmentContext, kind: Kind) -> list[Violation]:
    """One violation per required tag that is missing, held below the minimum level, or not
    valid in some week of the assignment; it names the tag and those weeks."""
    assignment = ctx.assignment
    required = list(
        PositionTag.objects.filter(
            position_id=assignment.position_id, requirement=Requirement.REQUIRED
        )
        .select_related("tag")
        .order_by("tag__code")
    )
    if not required:
        return []
    held: dict[int, list[Held]] = defaultdict(list)
    rows = EmployeeTag.objects.filter(
        employee_id=assignment.employee_id, tag_id__in=[r.tag_id for r in required]
    ).values_list("tag_id", "level", "valid_from", "valid_until")
    for tag_id, level, valid_from, valid_until in rows:
        held[tag_id].append(Held(level, valid_from, valid_until))

    start = assignment.start_date
    end = assignment.end_date or week_end(ctx.last)
    mondays = week_range(ctx.first, ctx.last)
    name = ctx.employee_name
    violations: list[Violation] = []
    for need in required:
        tag, minimum = need.tag, need.min_level
        periods = qualifying_periods(held[tag.pk], minimum)
        weeks = uncovered_weeks(periods, mondays, start, end)
        if not weeks:
            continue
        levels = [h.level for h in held[tag.pk]]
        facts: dict[str, Any] = {
            "tag": tag.code,
            "min_level": minimum,
            "held_level": max(levels) if levels else None,
            "valid": [[_iso(a), _iso(b)] for a, b in periods],
        }
        when = weeks_text(weeks)
        if not levels:
            problem = "missing"
            message = (
                f"{name} does not hold {tag.label} ({tag.code}), which the position requires "
                f"at level {minimum} or above ({when})."
            )
        elif not periods:
            problem = "level_too_low"
            message = (
                f"{name} holds {tag.label} ({tag.code}) at level {max(levels)}; the position "
                f"requires level {minimum} or above ({when})."
            )
        else:
            problem = "not_valid"
            details = []
            if periods[0][0] > start:
                details.append(f"valid only from {periods[0][0].isoformat()}")
            if periods[-1][1] < end:
                details.append(f"expires on {periods[-1][1].isoformat()}")
            if len(periods) > 1:
                details.append("lapses between renewals")
            message = (
                f"{name}'s {tag.label} ({tag.code}, level {minimum}+) is not valid in {when}: "
                f"{', '.join(details)}."
            )
        facts["problem"] = problem
        violations.append(kind.violation(ctx, message, weeks, **facts))
    return violations
