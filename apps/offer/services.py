"""Services that write the hours ledger: entries are appended, corrected by reversal only."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.core import request_id as request_ids
from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.exceptions import Conflict
from apps.core.services import model_validate
from apps.offer.models import LedgerEntry, LedgerKind
from apps.org.models import Employee
from apps.users.models import User


@attributed
def _append(*, employee: Employee, actor: User | None, **fields: Any) -> LedgerEntry:
    # The employee's row lock orders the chain: appends for one employee are serialized.
    Employee.objects.select_for_update(of=("self",)).filter(pk=employee.pk).first()
    entry: LedgerEntry = LedgerEntry.append(
        employee=employee,
        actor=actor if getattr(actor, "pk", None) else None,
        request_id=request_ids.get(),
        **fields,
    )
    return entry


@attributed
@transaction.atomic
def ledger_entry_create(
    *,
    employee: Employee,
    kind: str,
    start_date: dt.date,
    end_date: dt.date,
    hours_per_week: Decimal,
    note: str = "",
    actor: User | None,
) -> LedgerEntry:
    """Append a ledger entry (leave is a negative rate, extra availability a positive one)."""
    if kind == LedgerKind.CORRECTION:
        raise Conflict("Corrections are made by reversing an entry.", code=ErrorCode.USE_REVERSE)
    fields = {
        "kind": kind,
        "start_date": start_date,
        "end_date": end_date,
        "hours_per_week": hours_per_week,
        "note": note,
    }
    model_validate(LedgerEntry(employee=employee, **fields))
    return _append(employee=employee, actor=actor, **fields)


@attributed
@transaction.atomic
def ledger_entry_reverse(*, entry: LedgerEntry, actor: User | None, note: str = "") -> LedgerEntry:
    """Append the correction that cancels `entry` (once; a second reversal is a 409)."""
    locked = LedgerEntry.objects.select_for_update(of=("self",)).get(pk=entry.pk)
    if locked.kind == LedgerKind.CORRECTION:
        raise Conflict("A correction cannot be reversed.", code=ErrorCode.NOT_REVERSIBLE)
    if LedgerEntry.objects.filter(reverses=locked).exists():
        raise Conflict("This entry has already been reversed.", code=ErrorCode.ALREADY_REVERSED)
    return _append(
        employee=locked.employee,
        actor=actor,
        kind=LedgerKind.CORRECTION,
        start_date=locked.start_date,
        end_date=locked.end_date,
        hours_per_week=-locked.hours_per_week,
        note=note or f"Reverses entry {locked.pk}",
        reverses=locked,
    )
