"""Serializer building blocks shared by every app."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, ClassVar

from django.db.models import QuerySet
from rest_framework import serializers

from apps.core.codes import ErrorCode


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


class ValuesMapper:
    """A list's fast path: the `.values()` columns a read serializer needs, and its output
    made from such a row without a model instance or a serializer per row — derived from the
    serializer's own fields, so the two cannot drift."""

    def __init__(self, serializer_class: type[serializers.Serializer]) -> None:  # type: ignore[type-arg]
        self.serializer_class = serializer_class

    @cached_property
    def _plan(self) -> list[tuple[str, str, Any]]:
        plan: list[tuple[str, str, Any]] = []
        for name, field in self.serializer_class().fields.items():
            if isinstance(field, _ContributedField):
                plan.append((name, "contributed", None))
            elif isinstance(field, serializers.RelatedField):
                plan.append((name, "id", field.source))
            elif isinstance(field, serializers.Serializer):
                nested = [
                    (sub, f"{field.source}__{f.source}", f) for sub, f in field.fields.items()
                ]
                plan.append((name, "nested", nested))
            else:
                plan.append((name, "value", (field.source, field)))
        return plan

    @cached_property
    def columns(self) -> tuple[str, ...]:
        """The `.values()` columns: the model's own and its related objects' summaries."""
        columns: list[str] = []
        for _, kind, info in self._plan:
            if kind == "id":
                columns.append(info)
            elif kind == "value":
                columns.append(info[0])
            elif kind == "nested":
                columns.extend(column for _, column, _ in info)
        return tuple(dict.fromkeys(columns))

    def rows(self, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
        """What the serializer gives for the objects of `rows`, contributions included."""
        serializer: Any = self.serializer_class
        contributions = getattr(serializer, "contributions", None)
        extra = contributions.values([row["id"] for row in rows]) if contributions else {}
        return [self._row(row, extra) for row in rows]

    def _row(self, row: dict[str, Any], extra: dict[str, dict[Any, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, kind, info in self._plan:
            if kind == "contributed":
                out[name] = extra[name][row["id"]]
            elif kind == "id":
                out[name] = row[info]
            elif kind == "nested":
                out[name] = {sub: _cell(f, row[column]) for sub, column, f in info}
            else:
                out[name] = _cell(info[1], row[info[0]])
        return out


def _cell(field: Any, value: Any) -> Any:
    if value is None or isinstance(field, serializers.RelatedField):
        return value
    return field.to_representation(value)


@cache
def values_mapper(serializer_class: type[serializers.Serializer]) -> ValuesMapper:  # type: ignore[type-arg]
    """The one ValuesMapper of a read serializer (built at first use, after every app's
    contributions are registered)."""
    return ValuesMapper(serializer_class)
