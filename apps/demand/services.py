"""Services that change coverage requirements."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Q

from apps.core.codes import ErrorCode
from apps.core.etag import check_if_match
from apps.core.exceptions import Conflict
from apps.core.services import model_update, model_validate
from apps.demand.models import CoverageRequirement
from apps.org.models import Position


def _check_no_overlap(requirement: CoverageRequirement) -> None:
    # The position's row lock serializes requirement writes for one position.
    Position.objects.select_for_update().filter(pk=requirement.position_id).first()
    clash = (
        CoverageRequirement.objects.filter(
            Q(position_id=requirement.position_id),
            Q(start_date__lte=requirement.end_date),
            Q(end_date__gte=requirement.start_date),
        )
        .exclude(pk=requirement.pk)
        .first()
    )
    if clash is not None:
        raise Conflict(
            f"Overlaps requirement {clash.pk} ({clash.start_date}–{clash.end_date}) of this "
            "position; one day has one requirement.",
            code=ErrorCode.OVERLAPPING_REQUIREMENT,
            conflicting=clash.pk,
        )


@transaction.atomic
def requirement_create(**fields: Any) -> CoverageRequirement:
    """A new requirement; it may not overlap another of the same position."""
    requirement = CoverageRequirement(**fields)
    model_validate(requirement)
    _check_no_overlap(requirement)
    requirement.save()
    return requirement


@transaction.atomic
def requirement_update(
    *, requirement: CoverageRequirement, if_match: str | None = None, **fields: Any
) -> CoverageRequirement:
    """Change a requirement (If-Match honoured; still no overlap)."""
    locked = CoverageRequirement.objects.select_for_update().get(pk=requirement.pk)
    check_if_match(locked, if_match)
    if model_update(instance=locked, data=fields):
        # Checked on the saved row: a clash raises and rolls the change back.
        _check_no_overlap(locked)
    return locked


@transaction.atomic
def requirement_delete(*, requirement: CoverageRequirement) -> None:
    """Remove a requirement: the position's weekly hours apply again."""
    requirement.delete()
