"""The rules that guard a leave request's approval (DESIGN §11), and the facts they read: the
employee's balance, and the coverage of the positions they are assigned to, as it is and as it
would be with the leave's ledger entry (read by the coverage report's own SQL, supposing the
entry: apps.core.asof.supposing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property
from typing import Any

from django.utils import timezone
from rest_framework import serializers

from apps.business_rules.context import RuleContext, Violation
from apps.business_rules.kinds import Kind, register
from apps.core import asof
from apps.core.serializers import DecimalField
from apps.demand.selectors import CoverageWeek, coverage_weeks
from apps.fsm.states import COUNTED_ASSIGNMENT_STATES
from apps.leave.models import LeaveKind, LeaveRequest
from apps.leave.services import leave_balance, ledger_fields
from apps.reports.weeks import week_label, week_start

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CoverageChange:
    """One position-week before and after the leave."""

    position: int
    before: CoverageWeek
    after: CoverageWeek

    @property
    def opened(self) -> Decimal:
        """The uncovered hours the leave adds (a surplus before absorbs some)."""
        return max(self.after.gap, ZERO) - max(self.before.gap, ZERO)


def supposed_entry(request: LeaveRequest, fields: dict[str, Any]) -> dict[str, Any]:
    """The ledger row an approval of `request` would write (`fields`, from `ledger_fields`), as
    `asof.supposing` takes it."""
    return {
        "employee_id": request.employee_id,
        "kind": fields["kind"],
        "start_date": request.start_date.isoformat(),
        "end_date": request.end_date.isoformat(),
        "hours_per_week": str(fields["hours_per_week"]),
        "at": timezone.now().isoformat(),
    }


def coverage_change(request: LeaveRequest, entry: dict[str, Any]) -> list[CoverageChange]:
    """Per position the employee is assigned to (approved or active) during the leave, and per
    week of the leave: coverage now and with the leave's ledger `entry` written (two
    queries)."""
    positions = sorted(
        set(
            request.employee.assignments.filter(
                state__in=COUNTED_ASSIGNMENT_STATES,
                start_date__lte=request.end_date,
            )
            .exclude(end_date__lt=request.start_date)
            .values_list("position_id", flat=True)
        )
    )
    if not positions:
        return []
    first, last = week_start(request.start_date), week_start(request.end_date)
    before = coverage_weeks(first=first, last=last, position_ids=positions, using="default")
    with asof.supposing("offer_ledgerentry", [supposed_entry(request, entry)]):
        after = coverage_weeks(first=first, last=last, position_ids=positions, using="default")
    now = {(w.key, w.week_start): w for w in before}
    return [
        CoverageChange(
            w.key,
            now.get((w.key, w.week_start)) or CoverageWeek(w.key, w.week_start, ZERO, ZERO),
            w,
        )
        for w in after
    ]


class LeaveContext(RuleContext):
    """The facts about a (saved or unsaved) leave request that rules read."""

    def __init__(self, request: LeaveRequest) -> None:
        super().__init__(request)
        self.request = request

    @property
    def scope_path(self) -> str:
        """Rules scoped to an org unit apply to employees of its subtree."""
        return str(self.request.employee.org_unit.path)

    @property
    def employee_name(self) -> str:
        e = self.request.employee
        return f"{e.first_name} {e.last_name}"

    @cached_property
    def balance(self) -> dict[str, Decimal]:
        r = self.request
        return leave_balance(employee=r.employee, year=r.year, kind=r.kind, exclude=r.pk)

    @cached_property
    def entry(self) -> dict[str, Any]:
        """The ledger entry the approval would write."""
        return ledger_fields(self.request)

    @cached_property
    def coverage(self) -> list[CoverageChange]:
        return coverage_change(self.request, self.entry)

    @property
    def weeks(self) -> list[dt.date]:
        first, last = week_start(self.request.start_date), week_start(self.request.end_date)
        return [first + dt.timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


class LeaveKindBase(Kind):
    context = LeaveContext


class BalanceParams(serializers.Serializer):  # type: ignore[type-arg]
    kinds = serializers.ListField(
        child=serializers.ChoiceField(choices=LeaveKind.choices),
        min_length=1,
        max_length=len(LeaveKind.choices),
        default=[LeaveKind.VACATION.value],
    )


@register
class LeaveBalanceRule(LeaveKindBase):
    name = "leave_balance"
    description = (
        "Approved leave of the listed kinds (default: vacation) stays within the employee's "
        "entitlement for the year."
    )
    params_serializer = BalanceParams

    def evaluate(self, ctx: LeaveContext) -> list[Violation]:
        kinds = self.params.get("kinds") or [LeaveKind.VACATION.value]
        request = ctx.request
        if request.kind not in kinds:
            return []
        balance = ctx.balance
        after = balance["approved"] + Decimal(request.hours)
        if after <= balance["entitled"]:
            return []
        return [
            self.violation(
                ctx,
                f"{ctx.employee_name} would take {after} h of {request.kind} in {request.year}; "
                f"the entitlement is {balance['entitled']} h ({balance['remaining']} h left).",
                ctx.weeks,
                entitled=balance["entitled"],
                approved=balance["approved"],
                hours=Decimal(request.hours),
                remaining=balance["remaining"],
            )
        ]


class GapParams(serializers.Serializer):  # type: ignore[type-arg]
    max_gap_hours = DecimalField(
        max_digits=7, decimal_places=2, min_value=0, max_value=9000, default=Decimal("0")
    )


@register
class LeaveOpensGap(LeaveKindBase):
    name = "leave_opens_gap"
    description = (
        "Approving the leave opens no more than max_gap_hours of uncovered hours in any week "
        "on a position the employee is assigned to."
    )
    params_serializer = GapParams

    def evaluate(self, ctx: LeaveContext) -> list[Violation]:
        limit = Decimal(str(self.params.get("max_gap_hours", 0)))
        over = [c for c in ctx.coverage if c.opened > limit]
        if not over:
            return []
        worst = max(over, key=lambda c: (c.opened, -c.position))
        return [
            self.violation(
                ctx,
                f"Approving this leave would open {worst.opened} uncovered hours on position "
                f"{worst.position} in {week_label(worst.after.week_start)}; at most {limit} h "
                "are allowed.",
                sorted({c.after.week_start for c in over}),
                max_gap_hours=limit,
                opened=worst.opened,
                position=worst.position,
                positions=sorted({c.position for c in over}),
            )
        ]
