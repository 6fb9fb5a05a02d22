"""The write plumbing shared by every app's services.

Services (`apps/<app>/services.py`) own the transaction, the row locks, the If-Match check
(`apps.core.etag.check_if_match`, right after the lock: some services refuse a change on the
locked row's state before they look at the input) and their domain checks. What every one of
them does the same way lives here, once:

- `model_validate(instance)`: the model's own rules — field validators, `clean()` and its date
  ranges (`apps.core.constraints.DateRangeConstraint`) — raised as a Django ValidationError,
  which the API answers with a 400 naming the fields. Uniqueness is not checked here: services
  report the clashes clients must tell apart with their own codes (409), and the database
  refuses the rest (`integrity_conflict`, 409).
- `model_update(instance=..., data=...)`: HackSoft's `model_update`: set the fields whose value
  changes, validate, save only those (and the `auto_now` stamps), and say which changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from apps.core.constraints import DateRangeConstraint


def _unvalidated(instance: models.Model) -> list[str]:
    # Fields no input sets: the code's own (editable=False, e.g. a tree path or a hash) and
    # protected state fields, which clean_fields could not even write back (transitions do).
    # And relations given as rows already read from the database: Django would query each
    # again to see that it exists (the foreign key's constraint still refuses a row deleted
    # since, as `integrity_conflict`).
    return [
        field.name
        for field in instance._meta.concrete_fields
        if not field.editable or getattr(field, "protected", False) or _loaded(instance, field)
    ]


def _loaded(instance: models.Model, field: models.Field) -> bool:  # type: ignore[type-arg]
    if not field.is_relation or not field.many_to_one:
        return False
    related = instance._state.fields_cache.get(field.name)
    return bool(
        related is not None
        and related.pk is not None
        and not related._state.adding
        and related.pk == getattr(instance, field.attname)
    )


def model_validate(instance: models.Model) -> None:
    """Validate `instance` before it is saved (see the module docstring for what is checked)."""
    exclude = set(_unvalidated(instance))
    errors: dict[str, Any] = {}
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.update_error_dict(errors)
    # As full_clean does: a field already in error is not checked again by a constraint.
    exclude |= set(errors)
    for constraint in instance._meta.constraints:
        if isinstance(constraint, DateRangeConstraint):
            try:
                constraint.validate(type(instance), instance, exclude=exclude)
            except ValidationError as exc:
                errors = exc.update_error_dict(errors)
    if errors:
        raise ValidationError(errors)


def model_update(
    *, instance: models.Model, data: Mapping[str, Any], fields: Iterable[str] | None = None
) -> list[str]:
    """Apply `data` to `instance` and save what changed.

    `fields` names what may change (default: every key of `data`); each must be an editable
    field of the model, not a protected state field. Returns the names whose value changed, in
    the order of `fields`; when none did, nothing is validated or written.
    """
    names = list(data if fields is None else fields)
    settable = {
        f.name
        for f in instance._meta.concrete_fields
        if f.editable and not getattr(f, "protected", False)
    }
    unknown = sorted(set(names) - settable)
    if unknown:
        raise TypeError(f"{type(instance).__name__} has no settable field {', '.join(unknown)}")
    changed = [name for name in names if name in data and getattr(instance, name) != data[name]]
    if not changed:
        return []
    for name in changed:
        setattr(instance, name, data[name])
    model_validate(instance)
    stamps = [f.name for f in instance._meta.concrete_fields if getattr(f, "auto_now", False)]
    instance.save(update_fields=[*changed, *stamps])
    return changed
