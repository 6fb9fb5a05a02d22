"""What approving leave would do, writing nothing (POST leave-requests/simulate/): the
violations of the rules guarding `approve`, the balance before and after, and per position the
employee is assigned to and week of the leave, coverage now and with the leave approved."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.business_rules.engine import evaluate
from apps.fsm.exceptions import TransitionNotAllowed
from apps.leave.models import LeaveRequest, LeaveState
from apps.leave.rules import LeaveContext
from apps.leave.services import leave_balance, validated_request
from apps.org.selectors import position_list
from apps.reports.weeks import week_label
from apps.users.models import User


def leave_simulate(
    *, actor: User, request: LeaveRequest | None = None, **fields: Any
) -> dict[str, Any]:
    """`request` (an existing one, as if approved now) or the fields of one not asked for."""
    fields.pop("reason", None)
    if request is not None and request.state != LeaveState.REQUESTED:
        # Only a pending request can be approved: an approved one's entry is already in the
        # coverage (supposing it again would count the leave twice), a closed one is final.
        raise TransitionNotAllowed(
            f"Cannot approve from state {request.state!r}.",
            current_state=request.state,
            available=[t.name for t in request.get_available_state_transitions()],  # type: ignore[attr-defined]
        )
    if request is None:
        employee = fields.pop("employee")
        request = validated_request(employee, fields)
    violations = evaluate(subject=request, transition="approve")
    context = LeaveContext(request)
    # The balance as it stands (a pending request counted as requested), and once approved.
    before = leave_balance(employee=request.employee, year=request.year, kind=request.kind)
    hours = Decimal(request.hours)
    after = {
        **before,
        "approved": before["approved"] + hours,
        "requested": before["requested"] - (hours if request.pk is not None else 0),
        "remaining": before["remaining"] - hours,
    }
    # Rows of the positions the caller may see; the others are only counted (a manager's
    # employee may also work in another unit, whose coverage is not theirs to read). The
    # rules and `gap_opened_hours` weigh every position, as the approval will.
    codes = dict(
        position_list(user=actor)
        .filter(pk__in={c.position for c in context.coverage})
        .values_list("pk", "code")
    )
    coverage = [
        {
            "position": c.position,
            "position_code": codes[c.position],
            "week": week_label(c.after.week_start),
            "week_start": c.after.week_start,
            "required": c.after.required,
            "assigned_before": c.before.assigned,
            "assigned_after": c.after.assigned,
            "gap_before": c.before.gap,
            "gap_after": c.after.gap,
            "leave_hours_lost_after": getattr(c.after, "leave_hours_lost", Decimal("0.00")),
        }
        for c in context.coverage
        if c.position in codes
    ]
    return {
        "employee": request.employee_id,
        "kind": request.kind,
        "start_date": request.start_date,
        "end_date": request.end_date,
        "hours": hours,
        "hours_per_week": context.entry["hours_per_week"],
        "violations": violations,
        "blocked": any(v["severity"] == "error" for v in violations),
        "balance_before": {"kind": request.kind, **before},
        "balance_after": {"kind": request.kind, **after},
        "coverage": coverage,
        "positions_not_shown": len({c.position for c in context.coverage} - set(codes)),
        "gap_opened_hours": sum(
            (max(c.opened, Decimal(0)) for c in context.coverage), Decimal("0.00")
        ),
    }
