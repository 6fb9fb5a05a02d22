"""Model constraints shared by every app's models."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from apps.core.codes import ErrorCode

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise


class DateRangeConstraint(models.CheckConstraint):
    """`end` is not before `start` (an open end, NULL, passes when `open_end`).

    The database holds it as a plain CHECK; `full_clean` (and so `apps.core.services`) reports a
    violation as an error of the `end` field with `violation_error_code` and
    `violation_error_message`, which the API answers with a 400 naming that field. Migrations
    record it as the CheckConstraint it is in the database: the class only adds how a violation
    is reported.
    """

    def __init__(
        self,
        *,
        start: str,
        end: str,
        name: str,
        open_end: bool = False,
        violation_error_code: str | None = "end_before_start",
        violation_error_message: str | _StrPromise | None = None,
    ) -> None:
        self.start, self.end, self.open_end = start, end, open_end
        condition = Q(**{f"{end}__gte": F(start)})
        if open_end:
            condition = Q(**{f"{end}__isnull": True}) | condition
        super().__init__(
            condition=condition,
            name=name,
            violation_error_code=violation_error_code,
            violation_error_message=violation_error_message,
        )

    def validate(
        self, model: Any, instance: Any, exclude: Any = None, using: str | None = None
    ) -> None:
        # In Python, not with Q.check's query: two dates of the instance are all it needs.
        if exclude and (self.start in exclude or self.end in exclude):
            return
        start, end = getattr(instance, self.start), getattr(instance, self.end)
        if start is not None and end is not None and end < start:
            error = ValidationError(
                self.get_violation_error_message(), code=self.violation_error_code
            )
            raise ValidationError({self.end: [error]})

    def deconstruct(self) -> tuple[str, Any, Any]:
        _, args, kwargs = super().deconstruct()
        return "django.db.models.CheckConstraint", args, kwargs

    def clone(self) -> DateRangeConstraint:
        return DateRangeConstraint(
            start=self.start,
            end=self.end,
            name=self.name,
            open_end=self.open_end,
            violation_error_code=self.violation_error_code,
            violation_error_message=self.violation_error_message,
        )


def unique_ignoring_case(field: str, *, name: str, message: str) -> models.UniqueConstraint:
    """`field` unique whatever its case ("WARD" and "ward" are one code): a unique index on
    lower(field). A violation is a 400 with the field's error, code `unique`
    (`unique_violation`)."""
    return models.UniqueConstraint(
        Lower(field),
        name=name,
        violation_error_code=ErrorCode.UNIQUE,
        violation_error_message=message,
    )


@cache
def _unique_constraints() -> dict[str, tuple[str, str]]:
    """{database constraint name: (field name, message)} of every single-field unique rule."""
    from django.apps import apps

    found: dict[str, tuple[str, str]] = {}
    for model in apps.get_models():
        table = model._meta.db_table
        for field in model._meta.concrete_fields:
            if field.unique and not field.primary_key:
                message = f"A {model._meta.verbose_name} with this {field.verbose_name} exists."
                found[f"{table}_{field.column}_key"] = (field.name, message)
        for constraint in model._meta.constraints:
            if not isinstance(constraint, models.UniqueConstraint):
                continue
            names = list(constraint.fields) or [
                ref for expression in constraint.expressions for ref in _field_refs(expression)
            ]
            if len(names) == 1:
                found[constraint.name] = (names[0], str(constraint.violation_error_message))
    return found


def _field_refs(expression: Any) -> list[str]:
    if isinstance(expression, F):
        return [expression.name]
    return [name for source in expression.get_source_expressions() for name in _field_refs(source)]


def unique_violation(exc: BaseException) -> ValidationError | None:
    """The 400 field error of a database unique violation of a single field (a race the
    serializer's check cannot see, or a rule that ignores case), else None."""
    diag = getattr(exc.__cause__, "diag", None)
    known = _unique_constraints().get(getattr(diag, "constraint_name", None) or "")
    if known is None:
        return None
    field, message = known
    return ValidationError({field: ValidationError(message, code=ErrorCode.UNIQUE)})
