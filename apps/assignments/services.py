"""Services that change assignments: propose (create), edit while proposed, simulate, and the
side effect of an employee's termination."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.assignments.models import Assignment, AssignmentTransitionLog
from apps.core import request_id as request_ids
from apps.core.etag import check_if_match
from apps.core.exceptions import Conflict
from apps.core.services import model_update, model_validate
from apps.fsm.models import TransitionLog
from apps.fsm.services import rules_gate, transition_apply
from apps.fsm.states import AssignmentState, EmployeeState
from apps.org.models import Employee
from apps.reports.weeks import week_label

PROPOSE = "propose"
UPDATE = "update"  # an edit of a proposed assignment (its log row keeps the state)


def _check_rules(assignment: Assignment, actor: Any, override: bool, reason: str) -> dict[str, Any]:
    """The rules guarding `propose`, through the same gate as every transition."""
    from apps.business_rules.engine import evaluate

    return rules_gate(
        violations=evaluate(assignment=assignment, transition=PROPOSE),
        actor=actor,
        override=override,
        reason=reason,
    )


def employees_lock(*employee_ids: Any) -> dict[Any, Employee]:
    """Lock employee rows, in id order, and return them fresh.

    Every write that checks an employee's state or their other assignments (propose, edit, each
    transition) takes this lock before the assignment's row, the order a termination takes them
    in: two approvals cannot both pass an hours cap, and no proposal outlives a termination.
    """
    ids = sorted({pk for pk in employee_ids if pk is not None})
    locked = Employee.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk")
    return {employee.pk: employee for employee in locked}


def assignment_employee_lock(assignment: Assignment) -> None:
    """The assignments lifecycle's `lock_first`: the employee of `assignment`, as committed."""
    employees_lock(*Assignment.objects.filter(pk=assignment.pk).values_list("employee", flat=True))


def _check_employee_open(assignment: Assignment) -> None:
    if assignment.employee.state == EmployeeState.TERMINATED:
        raise Conflict("The employee is terminated.", code="employee_terminated")


@transaction.atomic
def assignment_propose(
    *, actor: Any, override: bool = False, reason: str = "", **fields: Any
) -> Assignment:
    """Create an assignment in state `proposed`, checked against the rules guarding `propose`,
    with its first log row."""
    if isinstance(fields.get("employee"), Employee):
        fields["employee"] = employees_lock(fields["employee"].pk)[fields["employee"].pk]
    assignment = Assignment(created_by=actor if getattr(actor, "pk", None) else None, **fields)
    model_validate(assignment)
    _check_employee_open(assignment)
    metadata = _check_rules(assignment, actor, override, reason)
    assignment.save()
    AssignmentTransitionLog.append(
        subject=assignment,
        transition=PROPOSE,
        from_state="",
        to_state=assignment.state,
        actor=assignment.created_by,
        reason=reason,
        request_id=request_ids.get(),
        metadata=metadata,
    )
    return assignment


@transaction.atomic
def assignment_update(
    *,
    assignment: Assignment,
    actor: Any,
    if_match: str | None = None,
    override: bool = False,
    reason: str = "",
    **fields: Any,
) -> Assignment:
    """Change a proposed assignment (re-checked against the `propose` rules); the edit is
    logged as an `update` row with the changed fields and any override or warnings."""
    moved_to = fields.get("employee")
    employees = employees_lock(assignment.employee_id, getattr(moved_to, "pk", None))
    if moved_to is not None and moved_to.pk in employees:
        fields["employee"] = employees[moved_to.pk]
    locked = Assignment.objects.select_for_update(of=("self",)).get(pk=assignment.pk)
    check_if_match(locked, if_match)
    if locked.state != AssignmentState.PROPOSED:
        raise Conflict(
            f"Only proposed assignments can be edited; this one is {locked.state}.",
            code="not_editable",
            current_state=locked.state,
        )
    # Saved before the checks, which see the new values: a refusal rolls the change back.
    changed = sorted(model_update(instance=locked, data=fields))
    _check_employee_open(locked)
    metadata = _check_rules(locked, actor, override, reason)
    if changed or metadata:
        # An override (or a warning) must be on record like any other; so is what changed.
        AssignmentTransitionLog.append(
            subject=locked,
            transition=UPDATE,
            from_state=locked.state,
            to_state=locked.state,
            actor=actor if getattr(actor, "pk", None) else None,
            reason=reason,
            request_id=request_ids.get(),
            metadata={"changed": changed, **metadata},
        )
    return locked


def end_open_assignments_of_terminated(
    employee: Any, transition: str, actor: Any, log: TransitionLog
) -> None:
    """Side effect of `terminate`: active assignments end, proposed/approved ones are cancelled
    — in the same transaction, each with its own log row."""
    reason = f"Employee {employee.employee_number} terminated"
    open_ones = (
        Assignment.objects.select_for_update(of=("self",))
        .filter(
            employee=employee,
            state__in=[AssignmentState.PROPOSED, AssignmentState.APPROVED, AssignmentState.ACTIVE],
        )
        .order_by("id")
    )
    for assignment in open_ones:
        name = "end" if assignment.state == AssignmentState.ACTIVE else "cancel"
        transition_apply(
            subject=assignment,
            transition=name,
            actor=actor,
            reason=reason,
            metadata={"cause": {"employee_log": log.pk}},
            enforce=False,
        )


def assignment_simulate(*, actor: Any, **fields: Any) -> dict[str, Any]:
    """What proposing and approving this assignment would do, writing nothing: the violations
    of every applicable rule, and per week the position's coverage and the employee's free
    hours before and after."""
    from apps.business_rules.context import EvaluationContext
    from apps.business_rules.engine import evaluate

    assignment = Assignment(**fields)
    model_validate(assignment)
    violations = evaluate(assignment=assignment, transition=None)
    context = EvaluationContext(assignment)
    coverage = []
    for week in context.position_weeks:
        after = week.assigned + context.subject_hours(week.week_start)
        coverage.append(
            {
                "week": week_label(week.week_start),
                "week_start": week.week_start,
                "required": week.required,
                "assigned_before": week.assigned,
                "assigned_after": after,
                "gap_before": week.required - week.assigned,
                "gap_after": week.required - after,
            }
        )
    supply = []
    for eweek in context.employee_weeks:
        hours = context.subject_hours(eweek.week_start)
        supply.append(
            {
                "week": week_label(eweek.week_start),
                "week_start": eweek.week_start,
                "supply": eweek.supply,
                "assigned_before": eweek.assigned,
                "assigned_after": eweek.assigned + hours,
                "free_before": eweek.supply - eweek.assigned,
                "free_after": eweek.supply - eweek.assigned - hours,
            }
        )
    return {
        "violations": violations,
        "blocked": any(v["severity"] == "error" for v in violations),
        "coverage": coverage,
        "supply": supply,
        "total_hours": sum(
            (context.subject_hours(w.week_start) for w in context.position_weeks), Decimal("0")
        ),
    }
