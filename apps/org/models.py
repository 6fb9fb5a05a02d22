"""The organisation: a tree of org units, the positions they hold and their employees."""

from __future__ import annotations

from django.db import models


class OrgUnit(models.Model):
    """A unit of the organisation; `path` (materialized ids, "/1/4/9/") makes subtrees one query."""

    code = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=1024, db_index=True, editable=False, default="")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ("path",)
        indexes = [
            models.Index(
                fields=["path"], name="orgunit_path_like", opclasses=["varchar_pattern_ops"]
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"
