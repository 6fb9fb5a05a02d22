"""Services that change assignments: propose (create), edit while proposed, simulate, and the
side effect of an employee's termination."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from apps.assignments.models import Assignment
from apps.assignments.rules import AssignmentContext
from apps.business_rules.engine import evaluate
from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import Conflict
from apps.core.services import model_update, model_validate
from apps.fsm.models import TransitionLog
from apps.fsm.services import record_change, transition_cascade
from apps.fsm.states import AssignmentState, EmployeeState
from apps.org.models import Employee
from apps.reports.weeks import week_label
from apps.users.models import User

PROPOSE = "propose"
UPDATE = "update"  # an edit of a proposed assignment (its log row keeps the state)


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
        raise Conflict("The employee is terminated.", code=ErrorCode.EMPLOYEE_TERMINATED)


@attributed
@transaction.atomic
def assignment_propose(
    *, actor: User, override: bool = False, reason: str = "", **fields: Any
) -> Assignment:
    """Create an assignment in state `proposed`, checked against the rules guarding `propose`,
    with its first log row."""
    if isinstance(fields.get("employee"), Employee):
        fields["employee"] = employees_lock(fields["employee"].pk)[fields["employee"].pk]
    assignment = Assignment(created_by=actor if getattr(actor, "pk", None) else None, **fields)
    model_validate(assignment)
    _check_employee_open(assignment)
    record_change(
        subject=assignment,
        name=PROPOSE,
        from_state="",
        actor=actor,
        reason=reason,
        override=override,
        guarded_by=PROPOSE,
    )
    return assignment


@attributed
@transaction.atomic
def assignment_update(
    *,
    assignment: Assignment,
    actor: User,
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
            code=ErrorCode.NOT_EDITABLE,
            current_state=locked.state,
        )
    # Saved before the checks, which see the new values: a refusal rolls the change back.
    changed = sorted(model_update(instance=locked, data=fields))
    _check_employee_open(locked)
    # Re-checked against the `propose` rules. An override (or a warning) must be on record like
    # any other; so is what changed.
    record_change(
        subject=locked,
        name=UPDATE,
        from_state=locked.state,
        actor=actor,
        reason=reason,
        override=override,
        guarded_by=PROPOSE,
        log_unless_empty={"changed": changed},
        saved=True,
    )
    return locked


@attributed
def end_open_assignments_of_terminated(
    employee: Employee, transition: str, actor: User | AnonymousUser | None, log: TransitionLog
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
        transition_cascade(
            subject=assignment,
            transition=name,
            actor=actor,
            reason=reason,
            metadata={"cause": {"employee_log": log.pk}},
        )


def assignment_simulate(*, actor: User, **fields: Any) -> dict[str, Any]:
    """What proposing and approving this assignment would do, writing nothing: the violations
    of every applicable rule, and per week the position's coverage and the employee's free
    hours before and after."""
    assignment = Assignment(**fields)
    model_validate(assignment)
    violations = evaluate(subject=assignment, transition=None)
    context = AssignmentContext(assignment)
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
