"""Reads of tags, scoped to the viewer, and the ranking of candidates for a position."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from apps.fsm.states import EmployeeState
from apps.offer.selectors import supply_weeks
from apps.org.models import Position
from apps.org.scope import sees_everything
from apps.org.selectors import employee_list, position_list
from apps.reports.weeks import week_end, week_range
from apps.tags.coverage import Held, covers, qualifying_periods
from apps.tags.models import (
    EmployeeTag,
    PositionTag,
    Requirement,
    SubjectType,
    TagCatalog,
    TagChangeLog,
)
from apps.tags.rules import weeks_text
from apps.users.models import User

# Who may be proposed for a position: employed or about to be, not candidates or leavers.
CANDIDATE_STATES = (EmployeeState.ACTIVE, EmployeeState.ONBOARDING, EmployeeState.ON_LEAVE)


def employee_tag_summaries(employee_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Each employee's tags as every employee row shows them (the `tags` contribution): code,
    label, level, validity as ISO dates, by tag code then start; one query for a page of
    employees, no model per tag."""
    tags: dict[int, list[dict[str, Any]]] = {pk: [] for pk in employee_ids}
    rows = (
        EmployeeTag.objects.filter(employee_id__in=list(tags))
        .order_by("employee_id", "tag__code", "valid_from")
        .values_list("employee_id", "tag__code", "tag__label", "level", "valid_from", "valid_until")
    )
    for employee_id, code, label, level, valid_from, valid_until in rows:
        tags[employee_id].append(
            {
                "tag": code,
                "label": label,
                "level": level,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat() if valid_until is not None else None,
            }
        )
    return tags


def tag_list(*, user: User | AnonymousUser) -> QuerySet[TagCatalog]:
    """The catalogue: every signed-in role reads all of it."""
    return TagCatalog.objects.order_by("category", "code")


def employee_tag_list(*, user: User | AnonymousUser) -> QuerySet[EmployeeTag]:
    """Employee tags the user may see: managers their subtrees', employees their own."""
    return (
        EmployeeTag.objects.select_related("tag", "employee")
        .visible_to(user)
        .order_by("employee_id", "tag__code", "valid_from", "id")
    )


def position_tag_list(*, user: User | AnonymousUser) -> QuerySet[PositionTag]:
    """Position tags of positions the user may see (employees see no positions)."""
    return (
        PositionTag.objects.select_related("tag", "position")
        .visible_to(user)
        .order_by("position_id", "requirement", "tag__code", "id")
    )


def tag_change_list(*, user: User | AnonymousUser) -> QuerySet[TagChangeLog]:
    """Tag changes about employees and positions the user may see, newest first."""
    qs = TagChangeLog.objects.select_related("tag", "actor")
    if sees_everything(user):
        return qs.order_by("-at", "-id")
    employees = employee_list(user=user).order_by().values("pk")
    positions = position_list(user=user).order_by().values("pk")
    return qs.filter(
        Q(subject_type=SubjectType.EMPLOYEE, subject_id__in=employees)
        | Q(subject_type=SubjectType.POSITION, subject_id__in=positions)
    ).order_by("-at", "-id")


# --- candidates ----------------------------------------------------------------------------------


@dataclass
class Candidate:
    """An employee's fit for a position over a period, and why."""

    employee: int
    employee_number: str
    name: str
    state: str
    required_met: int
    required_total: int
    preferred_met: int
    preferred_total: int
    free_hours: Decimal
    missing_required: list[str] = field(default_factory=list)
    missing_preferred: list[str] = field(default_factory=list)
    explanation: str = ""
    rank: int = 0

    @property
    def score(self) -> dict[str, Any]:
        return {
            "required_met": self.required_met,
            "required_total": self.required_total,
            "preferred_met": self.preferred_met,
            "preferred_total": self.preferred_total,
            "free_hours": f"{self.free_hours:.2f}",
        }


def _shortfall(held: list[Held], need: PositionTag, first: dt.date, last: dt.date) -> str | None:
    """Why `held` does not meet `need` over first..last (None: it does)."""
    if covers(qualifying_periods(held, need.min_level), first, last):
        return None
    if not held:
        return "not held"
    best = max(h.level for h in held)
    if best < need.min_level:
        return f"level {best} < {need.min_level}"
    return "not valid throughout"


def _explain(c: Candidate, reasons: dict[str, str], period: str) -> str:
    if c.required_total:
        fit = f"meets {c.required_met} of {c.required_total} required tags"
        if c.missing_required:
            fit += " (missing " + ", ".join(f"{t}: {reasons[t]}" for t in c.missing_required) + ")"
    else:
        fit = "meets every requirement (the position requires no tags)"
    if c.preferred_total:
        fit += f", {c.preferred_met} of {c.preferred_total} preferred tags"
    return f"{c.name} {fit}, and has {c.free_hours:.2f} free hours in {period}."


def position_candidates(
    *, position: Position, user: User | AnonymousUser, first: dt.date, last: dt.date
) -> list[Candidate]:
    """Employees visible to `user` who could work on `position` in the weeks from `first` to
    `last`, best first: required tags met, then preferred tags met, then free hours over the
    period. Four queries whatever the number of employees."""
    mondays = week_range(first, last)
    period_first, period_last = mondays[0], week_end(mondays[-1])
    needs = list(
        PositionTag.objects.filter(position=position).select_related("tag").order_by("tag__code")
    )
    employees = list(
        employee_list(user=user)
        .filter(state__in=CANDIDATE_STATES, hire_date__lte=period_last)
        .exclude(termination_date__lt=period_first)
        .values_list("id", "employee_number", "first_name", "last_name", "state")
    )
    ids = [row[0] for row in employees]
    held: dict[tuple[int, int], list[Held]] = defaultdict(list)
    if ids and needs:
        rows = EmployeeTag.objects.filter(
            employee_id__in=ids, tag_id__in=[n.tag_id for n in needs]
        ).values_list("employee_id", "tag_id", "level", "valid_from", "valid_until")
        for employee_id, tag_id, level, valid_from, valid_until in rows:
            held[(employee_id, tag_id)].append(Held(level, valid_from, valid_until))
    free: dict[int, Decimal] = defaultdict(Decimal)
    if ids:
        for week in supply_weeks(first=period_first, last=mondays[-1], employee_ids=ids):
            free[week.employee] += week.free

    required = [n for n in needs if n.requirement == Requirement.REQUIRED]
    preferred = [n for n in needs if n.requirement == Requirement.PREFERRED]
    period = weeks_text(mondays)
    candidates = []
    for employee_id, number, first_name, last_name, state in employees:
        reasons: dict[str, str] = {}
        for need in needs:
            why = _shortfall(held[(employee_id, need.tag_id)], need, period_first, period_last)
            if why is not None:
                reasons[need.tag.code] = why
        missing_required = [n.tag.code for n in required if n.tag.code in reasons]
        missing_preferred = [n.tag.code for n in preferred if n.tag.code in reasons]
        candidate = Candidate(
            employee=employee_id,
            employee_number=number,
            name=f"{first_name} {last_name}",
            state=state,
            required_met=len(required) - len(missing_required),
            required_total=len(required),
            preferred_met=len(preferred) - len(missing_preferred),
            preferred_total=len(preferred),
            free_hours=free[employee_id],
            missing_required=missing_required,
            missing_preferred=missing_preferred,
        )
        candidate.explanation = _explain(candidate, reasons, period)
        candidates.append(candidate)
    candidates.sort(
        key=lambda c: (-c.required_met, -c.preferred_met, -c.free_hours, c.name, c.employee)
    )
    for rank, candidate in enumerate(candidates, start=1):
        candidate.rank = rank
    return candidates
