"""Services that change the rule catalogue."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from apps.business_rules.models import BusinessRule
from apps.core.etag import check_if_match
from apps.core.services import model_update


@transaction.atomic
def rule_create(**fields: Any) -> BusinessRule:
    """A new rule (parameters already validated against its kind)."""
    return BusinessRule.objects.create(**fields)


@transaction.atomic
def rule_update(*, rule: BusinessRule, if_match: str | None = None, **fields: Any) -> BusinessRule:
    """Change a rule (If-Match honoured)."""
    locked = BusinessRule.objects.select_for_update().get(pk=rule.pk)
    check_if_match(locked, if_match)
    model_update(instance=locked, data=fields)
    return locked


@transaction.atomic
def rule_delete(*, rule: BusinessRule) -> None:
    """Remove a rule from the catalogue (past log rows keep the violations they recorded)."""
    rule.delete()
