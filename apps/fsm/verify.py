"""Walk hash chains and report the first row that does not verify."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apps.core.capture import GENESIS
from apps.fsm.models import HashChainedLog


def verify_log(
    model: type[HashChainedLog], progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """{ok, checked, first_broken} for every subject's chain in `model`'s table."""
    checked = 0
    current_subject: Any = object()
    expected_prev = GENESIS
    rows = model._default_manager.order_by(*model.chain_fields(), "id").iterator(chunk_size=2000)
    for row in rows:
        key = row.chain_key()
        subject = key[0] if len(key) == 1 else list(key)
        if subject != current_subject:
            current_subject, expected_prev = subject, GENESIS
        checked += 1
        if row.prev_hash != expected_prev or row.compute_hash() != row.hash:
            return {
                "ok": False,
                "checked": checked,
                "first_broken": {"table": model._meta.db_table, "id": row.pk, "subject": subject},
            }
        expected_prev = row.hash
        if progress and checked % 10_000 == 0:
            progress(checked)
    return {"ok": True, "checked": checked, "first_broken": None}
