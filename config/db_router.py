"""The database router of DESIGN.md section 3: report reads of domain models may go to the
replica (apps.core.db.read_alias decides when); writes, accounts, tokens and the cache always use
the primary."""

from __future__ import annotations

from typing import Any

from apps.core.db import read_alias

# Apps whose data reports read; accounts, tokens, sessions and the cache stay on the primary.
REPORT_APPS = frozenset(
    {"org", "fsm", "assignments", "business_rules", "offer", "demand", "tags", "audit_log"}
)


class PrimaryReplicaRouter:
    """Django database router implementing the rule above for ORM queries."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if model._meta.app_label in REPORT_APPS:
            return read_alias()
        return "default"

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
