"""Serializer building blocks shared by every app."""

from __future__ import annotations

import decimal
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from apps.core.codes import ErrorCode


class DecimalField(serializers.DecimalField):  # type: ignore[type-arg]
    """A decimal as the schema documents it (`^-?\\d*(\\.\\d*)?$`): ASCII digits, an optional
    minus and point, nothing else. Python's Decimal would also take "1e2", "+5", " 5",
    "Infinity" or Arabic-Indic digits; they are a 400 here. Minus zero is stored as zero.

    Every model DecimalField of a ModelSerializer maps to it (apps.core.apps), and serializers
    declare it instead of DRF's (tests/core/test_decimals.py holds both)."""

    _PATTERN = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, str | int | float | decimal.Decimal):
            self.fail("invalid")
        text = data if isinstance(data, str) else str(data)
        if len(text) > self.MAX_STRING_LENGTH:
            self.fail("max_string_length")
        if not self._PATTERN.fullmatch(text):
            self.fail("invalid")
        value = super().to_internal_value(text)
        return abs(value) if value == 0 else value


class StrictInputMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Rejects fields the serializer does not know (a typo must not be silently ignored)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(self.fields)
            unknown = sorted(set(data) - known)
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}, code=ErrorCode.UNKNOWN_FIELD
                )
        return super().to_internal_value(data)


class ScopedRelationsMixin(serializers.Serializer):  # type: ignore[type-arg]
    """Ids a caller may send are those of rows they may see: `scoped_relations` maps each
    related field to the selector that lists those rows (called with the request's user), so an
    id outside the caller's scope is refused like an unknown one."""

    scoped_relations: ClassVar[dict[str, Callable[..., QuerySet[Any]]]] = {}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            for name, selector in self.scoped_relations.items():
                self.fields[name].queryset = selector(user=request.user)  # type: ignore[attr-defined]


class NoInputSerializer(StrictInputMixin, serializers.Serializer):  # type: ignore[type-arg]
    """The body of an action that takes none: absent, empty or `{}`. Anything else (a field,
    malformed JSON, another content type) is refused like any other input, not ignored."""


def reject_body(request: Any) -> None:
    """Validate that `request` carries no input (see NoInputSerializer)."""
    NoInputSerializer(data=request.data).is_valid(raise_exception=True)


Loader = Callable[[list[Any]], dict[Any, Any]]


@dataclass(frozen=True)
class Contribution:
    """A read-only field a higher app adds to a lower app's read serializer: `field()` makes
    its serializer field (for the schema); `load(pks)` gives its value for each of a page of
    objects, in one query whatever the page size."""

    name: str
    field: Callable[[], serializers.Field]  # type: ignore[type-arg]
    load: Loader


class Contributions:
    """A registration point: the fields other apps contribute to one resource's rows."""

    def __init__(self) -> None:
        self._items: dict[str, Contribution] = {}

    def register(self, name: str, *, field: Callable[[], Any], load: Loader) -> None:
        """Add the field `name` to every row of the resource (called from AppConfig.ready())."""
        self._items[name] = Contribution(name, field, load)

    def __iter__(self) -> Iterator[Contribution]:
        return iter(list(self._items.values()))

    def values(self, pks: list[Any]) -> dict[str, dict[Any, Any]]:
        """Each contributed field's values for `pks` (one loader call per field)."""
        return {c.name: c.load(pks) for c in self}


_PRELOADED = "_contributed_values"


class _ContributedField(serializers.Field):  # type: ignore[type-arg]
    """Renders a contribution's value for one object. Inside a list (`many=True`) the values of
    the whole page are loaded at the first row, in one query; alone, the object's own."""

    def __init__(self, contribution: Contribution) -> None:
        self.contribution = contribution
        super().__init__(source="*", read_only=True)

    def to_representation(self, instance: Any) -> Any:
        preloaded = self.context.setdefault(_PRELOADED, {})
        values = preloaded.setdefault(self.contribution.name, {})
        if instance.pk not in values:
            page = [instance]
            root = self.root
            if isinstance(root, serializers.ListSerializer) and isinstance(root.instance, list):
                page = root.instance
            elif isinstance(root, serializers.ListSerializer) and isinstance(
                root.instance, QuerySet
            ):
                page = list(root.instance)  # the page being rendered: already fetched
            values.update(self.contribution.load([item.pk for item in page]))
        return values[instance.pk]


class ContributedFieldsMixin(serializers.Serializer):  # type: ignore[type-arg]
    """A read serializer whose rows other apps extend through `contributions` (a registration
    point the lower app owns)."""

    contributions: ClassVar[Contributions]

    def get_fields(self) -> dict[str, Any]:
        fields: dict[str, Any] = super().get_fields()
        for contribution in self.contributions:
            fields[contribution.name] = _ContributedField(contribution)
        return fields


Row = dict[str, Any]
Cell = Callable[[Row, dict[str, dict[Any, Any]]], Any]


class ValuesMapper:
    """A list's fast path: the `.values()` columns a read serializer needs, and its output
    made from such a row without a model instance or a serializer per row — derived from the
    serializer's own fields, so the two cannot drift."""

    def __init__(self, serializer_class: type[serializers.Serializer]) -> None:  # type: ignore[type-arg]
        self.serializer_class = serializer_class

    @cached_property
    def _plan(self) -> tuple[tuple[str, ...], list[tuple[str, Cell]]]:
        """The columns, and per output field how to make it from a row (built once)."""
        columns: list[str] = []
        cells: list[tuple[str, Cell]] = []
        for name, field in self.serializer_class().fields.items():
            if isinstance(field, _ContributedField):
                cells.append((name, _contributed(name)))
            elif isinstance(field, serializers.Serializer):
                nested = [
                    (sub, f"{field.source}__{f.source}", f) for sub, f in field.fields.items()
                ]
                columns.extend(column for _, column, _ in nested)
                cells.append((name, _nested([(sub, _value(col, f)) for sub, col, f in nested])))
            else:
                columns.append(str(field.source))
                cells.append((name, _value(str(field.source), field)))
        return tuple(dict.fromkeys(columns)), cells

    @property
    def columns(self) -> tuple[str, ...]:
        """The `.values()` columns: the model's own and its related objects' summaries."""
        return self._plan[0]

    def rows(self, rows: Sequence[Row]) -> list[Row]:
        """What the serializer gives for the objects of `rows`, contributions included."""
        serializer: Any = self.serializer_class
        contributions = getattr(serializer, "contributions", None)
        extra = contributions.values([row["id"] for row in rows]) if contributions else {}
        cells = self._plan[1]
        return [{name: cell(row, extra) for name, cell in cells} for row in rows]


def _contributed(name: str) -> Cell:
    return lambda row, extra: extra[name][row["id"]]


def _nested(cells: list[tuple[str, Cell]]) -> Cell:
    return lambda row, extra: {name: cell(row, extra) for name, cell in cells}


def _value(column: str, field: Any) -> Cell:
    """A column as `field` renders it. Values that come out of the database in the rendered
    form already (text, numbers, ids) are passed through; dates render as ISO."""
    if isinstance(
        field,
        serializers.RelatedField
        | serializers.CharField
        | serializers.ChoiceField
        | serializers.IntegerField
        | serializers.BooleanField,
    ):
        return lambda row, extra: row[column]
    date_format = getattr(field, "format", api_settings.DATE_FORMAT)
    if type(field) is serializers.DateField and date_format.lower() == ISO_8601:
        return lambda row, extra: None if (v := row[column]) is None else v.isoformat()
    represent = field.to_representation
    if isinstance(field, serializers.DecimalField) and field.decimal_places is not None:
        # A column of that scale reads back at that exponent: its plain text is the rendering.
        places = -field.decimal_places
        as_text = getattr(field, "coerce_to_string", api_settings.COERCE_DECIMAL_TO_STRING)

        def decimal(row: Row, extra: Any) -> Any:
            value = row[column]
            if value is None:
                return None
            if as_text and value.as_tuple().exponent == places:
                return f"{value:f}"
            return represent(value)

        return decimal
    return lambda row, extra: None if (v := row[column]) is None else represent(v)


@cache
def values_mapper(serializer_class: type[serializers.Serializer]) -> ValuesMapper:  # type: ignore[type-arg]
    """The one ValuesMapper of a read serializer (built at first use, after every app's
    contributions are registered)."""
    return ValuesMapper(serializer_class)
