"""Verify every hash chain of every append-only log, the change log included."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.apps import apps

from apps.core.capture import verify_changes
from apps.core.models import Change
from apps.fsm.models import HashChainedLog
from apps.fsm.verify import verify_log


def chained_models() -> list[type[HashChainedLog]]:
    """Every concrete log model with a hash chain, in a stable order."""
    found = [m for m in apps.get_models() if issubclass(m, HashChainedLog)]
    return sorted(found, key=lambda m: m._meta.label)


def verify_all(progress: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """{ok, checked, first_broken, tables} over every chain; stops at the first broken row."""
    checked = 0
    tables: dict[str, int] = {}
    verifiers: list[tuple[str, Callable[..., dict[str, Any]]]] = [
        (model._meta.db_table, partial(verify_log, model)) for model in chained_models()
    ]
    verifiers.append((Change._meta.db_table, verify_changes))
    for label, verify in verifiers:

        def report(n: int, label: str = label) -> None:
            if progress:
                progress(label, n)

        result = verify(progress=report)
        checked += result["checked"]
        tables[label] = result["checked"]
        if progress:
            progress(label, result["checked"])
        if not result["ok"]:
            return {
                "ok": False,
                "checked": checked,
                "first_broken": result["first_broken"],
                "tables": tables,
            }
    return {"ok": True, "checked": checked, "first_broken": None, "tables": tables}
