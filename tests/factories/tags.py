"""Factories for catalogue tags and their attachments (built through the services, so logged)."""

from __future__ import annotations

import datetime as dt
from itertools import count

from apps.tags import services
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog

_seq = count(1)


def make_tag(code: str | None = None, **kw) -> TagCatalog:
    n = next(_seq)
    fields = {
        "code": code or f"tag-{n}",
        "label": kw.pop("label", f"Tag {n}"),
        "category": kw.pop("category", "skill"),
    }
    fields.update(kw)
    return services.tag_catalog_create(**fields)


def give_tag(
    employee, tag, *, level: int = 3, valid_from=dt.date(2020, 1, 1), valid_until=None, actor=None
) -> EmployeeTag:
    return services.employee_tag_add(
        employee=employee,
        tag=tag,
        level=level,
        valid_from=valid_from,
        valid_until=valid_until,
        actor=actor,
    )


def need_tag(
    position, tag, *, min_level: int = 1, requirement: str = "required", actor=None
) -> PositionTag:
    return services.position_tag_add(
        position=position, tag=tag, requirement=requirement, min_level=min_level, actor=actor
    )
