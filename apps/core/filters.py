"""The list filter backend: django-filter, with filters that refuse values of the wrong type."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import get_model_field
from rest_framework import filters
from rest_framework.exceptions import ValidationError as DRFValidationError

from apps.core.codes import ErrorCode

TRUE_VALUES = frozenset({"true", "1"})
FALSE_VALUES = frozenset({"false", "0"})


class StrictNullBooleanField(forms.NullBooleanField):
    """true / false (or 1 / 0, any case); absent or empty means "no filter". django-filter's
    widgets read any other value as "no filter", so `?active=yes` silently returned every row;
    here it is a 400 that names the parameter."""

    widget = forms.TextInput  # the raw value: django-filter's widgets map unknown values to None

    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            return value
        if str(value).lower() in TRUE_VALUES:
            return True
        if str(value).lower() in FALSE_VALUES:
            return False
        raise ValidationError("Enter true or false.", code=ErrorCode.INVALID)

    def validate(self, value: Any) -> None:
        return None


BIGINT = 2**63


class StrictIntegerField(forms.IntegerField):
    """Whole numbers written as such: Django's IntegerField also takes `2.0` (and so `?year=
    -314901374952720.0` answered an empty page where the schema promises an integer), and
    numbers past 64 bits, which no column holds."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() not in ("", *self.empty_values):
            text = value.strip()
            if not (text.lstrip("-").isdigit() and text.isascii()):
                raise ValidationError(self.error_messages["invalid"], code=ErrorCode.INVALID)
        number = super().to_python(value)
        if number is not None and not -BIGINT <= number < BIGINT:
            raise ValidationError("Enter a whole number within 64 bits.", code=ErrorCode.INVALID)
        return number


def _is_integer(model: Any, field_name: str) -> bool:
    field = get_model_field(model, field_name) if model is not None else None
    if isinstance(field, models.ForeignKey):
        field = field.target_field
    return isinstance(field, models.IntegerField)


def _names_filter(param: str, filters: Any) -> bool:
    """Could query parameter `param` be read by one of `filters`? Range filters read
    `<name>_after`, `<name>_min` and the like, so a prefix counts."""
    return any(param == name or param.startswith(f"{name}_") for name in filters)


class FilterBackend(DjangoFilterBackend):
    """DEFAULT_FILTER_BACKENDS' django-filter backend: a filter value of the wrong type is a 400.

    Booleans take true/false only (see StrictNullBooleanField); a NumberFilter on an integer
    column takes whole numbers only (django-filter reads `?level=2.5` as a decimal, matching
    nothing, where the schema promises an integer); a filter by a row's id takes only the rows
    the caller may see (no existence oracle)."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        # A request naming none of the filters (the common first page) gets the queryset as it
        # is: building and validating an empty filter form costs ~0.7 ms and filters nothing.
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None or not any(
            _names_filter(param, filterset_class.base_filters) for param in request.query_params
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_filterset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            model = filterset._meta.model
            for item in filterset.filters.values():
                if isinstance(item, django_filters.BooleanFilter):
                    item.field_class = StrictNullBooleanField
                    item.extra["widget"] = forms.TextInput
                elif isinstance(item, django_filters.NumberFilter) and _is_integer(
                    model, item.field_name
                ):
                    item.field_class = StrictIntegerField
                elif isinstance(item, django_filters.ModelChoiceFilter):
                    _scope_choices(item, request)
        return filterset


def _scope_choices(item: Any, request: Any) -> None:
    """A filter by the id of a row the caller may not see answers exactly like one by an id
    that does not exist (a 400 naming the parameter), not with an empty page that tells them
    the row is there: the choices are what the caller may see (ScopedQuerySet.visible_to)."""
    choices = item.get_queryset(request)
    if hasattr(choices, "visible_to"):
        item.queryset = choices.visible_to(request.user)


class OrderingFilter(filters.OrderingFilter):
    """`?ordering=` names fields the list can be sorted by (`-` for descending). DRF drops
    unknown names silently, so a typo returned the default order as if it had been honoured;
    here it is a 400 that lists the fields one may use."""

    def remove_invalid_fields(self, queryset: Any, fields: Any, view: Any, request: Any) -> Any:
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            names = sorted(
                name for name, _ in self.get_valid_fields(queryset, view, {"request": request})
            )
            raise DRFValidationError(
                {"ordering": [f"Unknown field. Sort by one of: {', '.join(names)}."]},
                code=ErrorCode.INVALID,
            )
        return valid
