"""The leave calendar of the Django admin: an org unit (its subtree) and a range of weeks in, a
grid of employees × ISO weeks out — the hours of approved leave each week, pending requests
marked apart — with Approve / Reject buttons for the pending ones, through the one transition
path. Also the helper that runs a transition for an admin page and turns its refusal into a
message."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from rest_framework.exceptions import APIException

from apps.demand.admin_views import UnitChoiceField
from apps.fsm.services import transition_apply
from apps.leave.models import OPEN_STATES, LeaveRequest, LeaveState
from apps.leave.selectors import leave_request_list
from apps.org.models import Employee, OrgUnit
from apps.reports.weeks import week_end, week_label, week_range, week_start
from apps.users.models import User

DEFAULT_WEEKS = 12  # this week and the next eleven
MAX_WEEKS = 53
MAX_ROWS = 500  # employees drawn; the page says when there are more
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
DECISIONS = {"approve": "approved", "reject": "rejected"}


# --- running a transition from an admin page ---------------------------------------------------


def refusal_text(transition: str, exc: Exception) -> str:
    """What the admin shows when the transition path refuses: the problem's detail, and each
    blocking rule's message."""
    detail: Any = getattr(exc, "detail", None) or getattr(exc, "messages", None) or str(exc)
    if isinstance(detail, dict):
        detail = "; ".join(f"{key}: {' '.join(map(str, value))}" for key, value in detail.items())
    elif isinstance(detail, list):
        detail = " ".join(map(str, detail))
    text = f"{transition} failed: {detail}"
    violations = getattr(exc, "violations", None)
    if violations:
        text += " — " + "; ".join(str(v.get("message", "")) for v in violations)
    return text


def apply_transition(
    request: HttpRequest,
    subject: LeaveRequest,
    transition: str,
    *,
    reason: str = "",
    override: bool = False,
) -> bool:
    """Run `transition` on `subject` through `transition_apply` with the signed-in admin as the
    actor; a refusal (rules 422, role 403, state 409, not visible 404, invalid 400) is an error
    message, never a 500. True when it was done."""
    try:
        transition_apply(
            subject=subject,
            transition=transition,
            actor=request.user,
            reason=reason,
            override=override,
        )
    except (APIException, DjangoValidationError, PermissionDenied) as exc:
        messages.error(request, refusal_text(transition, exc))
        return False
    messages.success(request, f"{transition} done: leave request {subject.pk}.")
    return True


# --- the calendar ------------------------------------------------------------------------------


class LeaveCalendarForm(forms.Form):
    """Which unit (its whole subtree) and which weeks; both ends count as whole ISO weeks."""

    unit = UnitChoiceField(queryset=OrgUnit.objects.none(), empty_label=None)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # "from" is a Python keyword: the fields are added by name.
        self.fields["from"] = forms.DateField(label="From", widget=date_input)
        self.fields["to"] = forms.DateField(label="To", widget=date_input)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from"), data.get("to")
        if first and last:
            if last < first:
                self.add_error("to", "The end is before the start.")
            elif (week_start(last) - week_start(first)).days // 7 + 1 > MAX_WEEKS:
                self.add_error("to", f"At most {MAX_WEEKS} weeks at once.")
        return data


@dataclass
class Cell:
    """One employee-week: approved and pending hours of leave, and the requests behind them."""

    week: dt.date
    approved: Decimal = ZERO
    pending: Decimal = ZERO
    requests: list[LeaveRequest] = field(default_factory=list)

    @property
    def title(self) -> str:
        return "; ".join(
            f"#{r.pk} {r.get_kind_display()} {r.start_date}…{r.end_date} ({r.state})"
            for r in self.requests
        )


@dataclass
class Row:
    employee: Employee
    cells: list[Cell]


@dataclass
class LeaveCalendar:
    unit: OrgUnit
    weeks: list[dt.date]
    rows: list[Row]
    truncated: bool
    pending: list[LeaveRequest]


def overlap_days(start: dt.date, end: dt.date, first: dt.date, last: dt.date) -> int:
    """How many days of `start`…`end` fall in `first`…`last`."""
    return max(0, (min(end, last) - max(start, first)).days + 1)


def hours_in_week(request: LeaveRequest, monday: dt.date) -> Decimal:
    """The share of the request's hours that falls in the week of `monday`: pro rata by
    calendar days (hours × its days in that week / its days). A simplification: the hours a
    request takes were computed from working days, so a week holding only its weekend is
    shown a share too; the calendar is for seeing who is off when, the ledger and the
    balance count the exact hours."""
    days = (request.end_date - request.start_date).days + 1
    inside = overlap_days(request.start_date, request.end_date, monday, week_end(monday))
    return (Decimal(request.hours) * inside / days).quantize(CENT, ROUND_HALF_UP)


def leave_calendar(
    *, user: User | Any, unit: OrgUnit, first: dt.date, last: dt.date, rows: int = MAX_ROWS
) -> LeaveCalendar:
    """The grid of `unit`'s subtree from `first`'s week to `last`'s week, scoped to `user`; two
    queries whatever the number of employees: the employees (at most `rows`), then their open
    requests that touch the weeks."""
    weeks = week_range(first, last)
    start, end = weeks[0], week_end(weeks[-1])
    employees = list(
        Employee.objects.visible_to(user)
        .filter(org_unit__path__startswith=unit.path, hire_date__lte=end)
        .exclude(termination_date__lt=start)
        .select_related("org_unit")
        .order_by("last_name", "first_name", "id")[: rows + 1]
    )
    truncated = len(employees) > rows
    employees = employees[:rows]
    requests = list(
        leave_request_list(user=user)
        .filter(
            employee__in=[e.pk for e in employees],
            state__in=OPEN_STATES,
            start_date__lte=end,
            end_date__gte=start,
        )
        .order_by("start_date", "id")
    )
    by_employee: dict[int, list[LeaveRequest]] = defaultdict(list)
    for leave in requests:
        by_employee[leave.employee_id].append(leave)
    grid = []
    for employee in employees:
        cells = [Cell(week=monday) for monday in weeks]
        for leave in by_employee.get(employee.pk, []):
            for cell in cells:
                if not overlap_days(
                    leave.start_date, leave.end_date, cell.week, week_end(cell.week)
                ):
                    continue
                hours = hours_in_week(leave, cell.week)
                if leave.state == LeaveState.APPROVED:
                    cell.approved += hours
                else:
                    cell.pending += hours
                cell.requests.append(leave)
        grid.append(Row(employee=employee, cells=cells))
    pending = [r for r in requests if r.state == LeaveState.REQUESTED]
    return LeaveCalendar(unit=unit, weeks=weeks, rows=grid, truncated=truncated, pending=pending)


def fill_defaults(params: QueryDict, units: Any, today: dt.date) -> None:
    """The missing parameters: the first unit the viewer may see (in tree order), this week
    and the next eleven."""
    first = week_start(today)
    if not params.get("unit"):
        unit = units.first()
        params["unit"] = str(unit.pk) if unit else ""
    if not params.get("from"):
        params["from"] = first.isoformat()
    if not params.get("to"):
        params["to"] = (first + dt.timedelta(weeks=DEFAULT_WEEKS - 1)).isoformat()


def _query_string(unit: OrgUnit, first: dt.date, last: dt.date) -> str:
    return urlencode({"unit": str(unit.pk), "from": first.isoformat(), "to": last.isoformat()})


def calendar_units(user: User | Any) -> Any:
    """The units whose calendar `user` may open: every unit for HR admins, a manager's scope."""
    return OrgUnit.objects.visible_to(user).order_by("path")


def leave_calendar_view(
    request: HttpRequest, *, model_admin: ModelAdmin[Any], today: dt.date | None = None
) -> HttpResponse:
    """GET ?unit=&from=&to= (defaults: the first unit in the viewer's scope, 12 weeks from
    this week)."""
    units = calendar_units(request.user)
    params: QueryDict = request.GET.copy()
    fill_defaults(params, units, today or timezone.localdate())
    form = LeaveCalendarForm(params, units=units)
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Leave calendar",
        "opts": model_admin.opts,
        "form": form,
        "max_rows": MAX_ROWS,
        "decide_url": reverse("admin:leave_leaverequest_calendar_decide"),
    }
    if form.is_valid():
        query = form.cleaned_data
        calendar = leave_calendar(
            user=request.user, unit=query["unit"], first=query["from"], last=query["to"]
        )
        delta = dt.timedelta(weeks=len(calendar.weeks))
        context.update(
            calendar=calendar,
            week_labels=[week_label(w) for w in calendar.weeks],
            first_week=week_label(calendar.weeks[0]),
            last_week=week_label(calendar.weeks[-1]),
            query=_query_string(query["unit"], query["from"], query["to"]),
            earlier=_query_string(query["unit"], query["from"] - delta, query["to"] - delta),
            later=_query_string(query["unit"], query["from"] + delta, query["to"] + delta),
        )
    return TemplateResponse(request, "admin/leave/leave_calendar.html", context)


@require_POST
def leave_calendar_decide_view(request: HttpRequest) -> HttpResponse:
    """POST request=&transition=approve|reject&reason=&query=: the decision through the
    transition path, then back to the calendar (the same unit and weeks)."""
    back = reverse("admin:leave_leaverequest_calendar")
    query = QueryDict(request.POST.get("query", ""))
    kept = {k: query[k] for k in ("unit", "from", "to") if query.get(k)}
    if kept:
        back += "?" + urlencode(kept)
    transition = request.POST.get("transition", "")
    if transition not in DECISIONS:
        messages.error(request, f"Unknown decision {transition!r}: approve or reject.")
        return HttpResponseRedirect(back)
    pk = _int(request.POST.get("request"))
    subject = None if pk is None else leave_request_list(user=request.user).filter(pk=pk).first()
    if subject is None:
        messages.error(request, "No such leave request (or not in your scope).")
        return HttpResponseRedirect(back)
    apply_transition(request, subject, transition, reason=request.POST.get("reason", ""))
    return HttpResponseRedirect(back)


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None
