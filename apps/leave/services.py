"""Services of leave: request (create), the side effects of approve and cancel on the hours
ledger, the balance, entitlements, and what an approval would do (simulate)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from rest_framework import exceptions

from apps.assignments.services import employees_lock
from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import Conflict, Unprocessable
from apps.core.services import model_update, model_validate
from apps.fsm.models import TransitionLog
from apps.fsm.services import record_change, transition_cascade
from apps.fsm.states import EmployeeState
from apps.leave.hours import contract_hours_over, contract_pieces, ledger_rate, span_weight
from apps.leave.models import (
    OPEN_STATES,
    LeaveEntitlement,
    LeaveKind,
    LeaveRequest,
    LeaveState,
)
from apps.offer.models import LedgerKind
from apps.offer.services import ledger_entry_create, ledger_entry_reverse
from apps.org.models import Employee
from apps.users.models import User

REQUEST = "request"  # the creation's log row (from "" to requested)
MAX_RATE = Decimal("168")


def leave_employee_lock(request: LeaveRequest) -> None:
    """The leave lifecycle's `lock_first`: the request's employee, as committed. Every write
    that reads an employee's other requests (a new request's overlap, an approval's balance)
    takes it first, so two approvals cannot both pass a balance."""
    employees_lock(*LeaveRequest.objects.filter(pk=request.pk).values_list("employee", flat=True))


def _check_employment(employee: Employee, start: dt.date, end: dt.date) -> None:
    if employee.state == EmployeeState.TERMINATED and employee.termination_date is None:
        raise Conflict("The employee is terminated.", code=ErrorCode.EMPLOYEE_TERMINATED)
    if employee.termination_date is not None and end > employee.termination_date:
        raise Unprocessable(
            f"The leave ends after the employee's termination date ({employee.termination_date}).",
            code=ErrorCode.ACROSS_TERMINATION,
            termination_date=employee.termination_date.isoformat(),
        )
    if start < employee.hire_date:
        raise Unprocessable(
            f"The leave starts before the employee's hire date ({employee.hire_date}).",
            code=ErrorCode.OUTSIDE_EMPLOYMENT,
            hire_date=employee.hire_date.isoformat(),
        )


def _check_one_year(start: dt.date, end: dt.date) -> None:
    if start.year != end.year:
        raise Unprocessable(
            f"A leave request ends in the year it starts (balances are per year): ask for "
            f"{start}…{start.year}-12-31 and {end.year}-01-01…{end} separately.",
            code=ErrorCode.LEAVE_SPANS_YEARS,
        )


def _check_past(actor: Any, start: dt.date, reason: str) -> None:
    """Leave starting before today: HR admins only, with a reason."""
    if start >= timezone.localdate():
        return
    if not getattr(actor, "is_admin", False):
        raise exceptions.PermissionDenied(
            "Only HR admins may record leave that starts in the past.",
            code=ErrorCode.PAST_LEAVE_ADMIN_ONLY,
        )
    if not reason.strip():
        raise exceptions.ValidationError(
            {"reason": ["A reason is required to record leave in the past."]},
            code=ErrorCode.REASON_REQUIRED,
        )


def _check_no_overlap(employee: Employee, start: dt.date, end: dt.date) -> None:
    other = (
        LeaveRequest.objects.filter(
            employee=employee, state__in=OPEN_STATES, start_date__lte=end, end_date__gte=start
        )
        .order_by("start_date", "id")
        .first()
    )
    if other is not None:
        raise Conflict(
            f"Leave request {other.pk} ({other.state}, {other.start_date}…{other.end_date}) "
            "already holds some of these days.",
            code=ErrorCode.LEAVE_OVERLAP,
            conflicting_request=other.pk,
        )


def leave_hours(
    employee: Employee, start: dt.date, end: dt.date, hours: Decimal | None
) -> tuple[Decimal, Decimal]:
    """The hours a leave from `start` to `end` takes (given, or what the contract delivers
    over those days) and the ledger rate that takes them; 422 when the days hold no working
    hours or fewer than asked for."""
    weight = span_weight(employee, start, end)
    if weight <= 0:
        raise Unprocessable(
            "These days hold no working hours to take off.", code=ErrorCode.NO_WORKING_HOURS
        )
    if hours is None:
        pieces = contract_pieces(employee, start, end)
        if len(pieces) == 1:  # the contract's own rate, negated
            computed = contract_hours_over(pieces[0][2], weight)
            rate = -Decimal(pieces[0][2])
        else:  # the contract changes during the leave: each version over its days
            computed = sum(
                (contract_hours_over(h, span_weight(employee, a, b)) for a, b, h in pieces),
                Decimal("0.00"),
            )
            rate = ledger_rate(hours=computed, weight=weight)
        if computed <= 0:
            raise Unprocessable(
                "The employee works no hours on these days (contract hours are 0).",
                code=ErrorCode.NO_WORKING_HOURS,
            )
        return computed, rate
    rate = ledger_rate(hours=hours, weight=weight)
    if -rate > MAX_RATE:
        most = (MAX_RATE * weight / 7).quantize(Decimal("0.01"))
        raise Unprocessable(
            f"{hours} h do not fit in these days (at most {most} h).",
            code=ErrorCode.TOO_MANY_HOURS,
            max_hours=str(most),
        )
    return Decimal(hours), rate


def validated_request(employee: Employee, fields: dict[str, Any]) -> LeaveRequest:
    """An unsaved request checked for its dates, employment and hours (not its overlap)."""
    start, end = fields["start_date"], fields["end_date"]
    request = LeaveRequest(
        employee=employee,
        kind=fields.get("kind", LeaveKind.VACATION),
        start_date=start,
        end_date=end,
        hours=fields.get("hours") or Decimal("0.01"),
        hours_given=fields.get("hours") is not None,
        note=fields.get("note", ""),
    )
    model_validate(request)
    _check_one_year(start, end)
    _check_employment(employee, start, end)
    request.hours, _ = leave_hours(employee, start, end, fields.get("hours"))
    return request


@attributed
@transaction.atomic
def leave_request_create(
    *, actor: User, employee: Employee, reason: str = "", **fields: Any
) -> LeaveRequest:
    """Ask for leave: a request in state `requested`, with its first log row. Refused when it
    overlaps another open request of the employee (409 naming it), crosses their termination
    (422), or starts in the past unless an HR admin gives a reason."""
    employee = employees_lock(employee.pk)[employee.pk]
    _check_past(actor, fields["start_date"], reason)
    request = validated_request(employee, fields)
    _check_no_overlap(employee, request.start_date, request.end_date)
    request.created_by = actor if getattr(actor, "pk", None) else None
    record_change(
        subject=request, name=REQUEST, from_state="", actor=actor, reason=reason, guarded_by=None
    )
    return request


def ledger_fields(request: LeaveRequest) -> dict[str, Any]:
    """The ledger entry an approval of `request` writes (and simulate supposes)."""
    _, rate = leave_hours(
        request.employee,
        request.start_date,
        request.end_date,
        request.hours if request.hours_given else None,
    )
    return {
        "employee": request.employee,
        "kind": LedgerKind.LEAVE,
        "start_date": request.start_date,
        "end_date": request.end_date,
        "hours_per_week": rate,
        "note": f"Leave request {request.pk} ({request.kind}, {request.hours} h)",
    }


@attributed
def write_ledger_entry(
    request: LeaveRequest, transition: str, actor: Any, log: TransitionLog
) -> None:
    """Side effect of `approve`: the `leave` ledger entry, in the approving transaction. The
    employment is checked again (a termination date may have been set since the request)."""
    employee = Employee.objects.get(pk=request.employee_id)  # locked by the transition
    _check_employment(employee, request.start_date, request.end_date)
    entry = ledger_entry_create(actor=_user(actor), **ledger_fields(request))
    request.ledger_entry = entry
    request.save(update_fields=["ledger_entry", "updated_at"])


@attributed
def reverse_ledger_entry(
    request: LeaveRequest, transition: str, actor: Any, log: TransitionLog
) -> None:
    """Side effect of `cancel`: an approved request's ledger entry is reversed."""
    if request.ledger_entry_id is None:
        return
    ledger_entry_reverse(
        entry=request.ledger_entry,
        actor=_user(actor),
        note=f"Leave request {request.pk} cancelled",
    )


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


@attributed
def cancel_leave_of_terminated(
    employee: Employee, transition: str, actor: User | AnonymousUser | None, log: TransitionLog
) -> None:
    """Side effect of `terminate`: open requests for days after the termination date (every
    open one without a date) are cancelled, an approved one's ledger entry reversed."""
    requests = LeaveRequest.objects.select_for_update(of=("self",)).filter(
        employee=employee, state__in=OPEN_STATES
    )
    if employee.termination_date is not None:
        requests = requests.filter(end_date__gt=employee.termination_date)
    for request in requests.order_by("id"):
        transition_cascade(
            subject=request,
            transition="cancel",
            actor=actor,
            reason=f"Employee {employee.employee_number} terminated",
            metadata={"cause": {"employee_log": log.pk}},
        )


# --- balances ---------------------------------------------------------------------------------


def leave_balances(
    *, employee: Employee, year: int, exclude: Any = None
) -> dict[str, dict[str, Decimal]]:
    """{kind: {entitled, approved, requested, remaining}} in hours for every kind in `year` (a
    request counts in the year it starts; `exclude`: a request left out, the one being
    decided); two queries."""
    zero = Decimal("0.00")
    entitled = dict(
        LeaveEntitlement.objects.filter(employee=employee, year=year)
        .values("kind")
        .annotate(h=Sum("hours"))
        .values_list("kind", "h")
    )
    taken: dict[tuple[str, str], Decimal] = {
        (kind, state): hours
        for kind, state, hours in LeaveRequest.objects.filter(
            employee=employee, start_date__year=year
        )
        .exclude(pk=exclude)
        .values("kind", "state")
        .annotate(h=Sum("hours"))
        .values_list("kind", "state", "h")
    }
    out = {}
    for kind in LeaveKind.values:
        approved = taken.get((kind, LeaveState.APPROVED), zero)
        out[kind] = {
            "entitled": entitled.get(kind, zero),
            "approved": approved,
            "requested": taken.get((kind, LeaveState.REQUESTED), zero),
            "remaining": entitled.get(kind, zero) - approved,
        }
    return out


def leave_balance(
    *, employee: Employee, year: int, kind: str, exclude: Any = None
) -> dict[str, Decimal]:
    """{entitled, approved, requested, remaining} hours of `kind` in `year`."""
    return leave_balances(employee=employee, year=year, exclude=exclude)[kind]


# --- entitlements -----------------------------------------------------------------------------


def _entitlement_exists(employee: Employee, year: int, kind: str, exclude: Any = None) -> None:
    clash = LeaveEntitlement.objects.filter(employee=employee, year=year, kind=kind).exclude(
        pk=exclude
    )
    if clash.exists():
        raise Conflict(
            f"{employee.employee_number} already has a {kind} entitlement for {year}.",
            code=ErrorCode.INTEGRITY_CONFLICT,
        )


@attributed
@transaction.atomic
def entitlement_create(*, actor: User, **fields: Any) -> LeaveEntitlement:
    """An employee's entitlement of a kind for a year (one per employee, year and kind)."""
    entitlement = LeaveEntitlement(**fields)
    model_validate(entitlement)
    employees_lock(entitlement.employee_id)
    _entitlement_exists(entitlement.employee, entitlement.year, entitlement.kind)
    entitlement.save()
    return entitlement


@attributed
@transaction.atomic
def entitlement_update(
    *, entitlement: LeaveEntitlement, actor: User, if_match: str | None = None, **fields: Any
) -> LeaveEntitlement:
    employees_lock(entitlement.employee_id, getattr(fields.get("employee"), "pk", None))
    locked = LeaveEntitlement.objects.select_for_update().get(pk=entitlement.pk)
    check_if_match(locked, if_match)
    employee = fields.get("employee", locked.employee)
    year, kind = fields.get("year", locked.year), fields.get("kind", locked.kind)
    _entitlement_exists(employee, year, kind, exclude=locked.pk)
    model_update(instance=locked, data=fields)
    return locked


@attributed
@transaction.atomic
def entitlement_delete(*, entitlement: LeaveEntitlement, actor: User) -> None:
    entitlement.delete()
