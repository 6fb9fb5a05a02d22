"""What can be imported (DESIGN.md §9), one `Kind` per resource: its columns (the template, and
the CSV export of its list endpoint), the natural key a row is matched by, the references it
names by code, and the services that write it.

A row is validated by the API's own write serializer for the resource (the same field rules,
messages and codes as a POST), with two differences that make it fit for files:
- references are codes, not ids (`org_unit` is an org unit's code), looked up per chunk of rows
  in what the importing user may see (a code outside a manager's scope is unknown to them);
- uniqueness is decided by the natural key (a row with an existing key is an update), not by
  the serializer's unique validators.
A create or update then goes through the resource's service, as the API's does.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.db.models import Model, QuerySet
from rest_framework import serializers
from rest_framework.validators import UniqueTogetherValidator, UniqueValidator

from apps.assignments import selectors as assignment_selectors
from apps.assignments import services as assignment_services
from apps.assignments.models import Assignment
from apps.assignments.serializers import AssignmentWriteSerializer
from apps.calendars.models import WorkCalendar
from apps.core.codes import ErrorCode
from apps.demand import selectors as demand_selectors
from apps.demand import services as demand_services
from apps.demand.models import CoverageRequirement
from apps.demand.serializers import RequirementWriteSerializer
from apps.offer import selectors as offer_selectors
from apps.offer import services as offer_services
from apps.offer.models import LedgerEntry
from apps.offer.serializers import LedgerEntryWriteSerializer
from apps.org import selectors as org_selectors
from apps.org import services as org_services
from apps.org.models import ContractHours, Employee, OrgUnit, Position
from apps.org.serializers import (
    ContractHoursInputSerializer,
    EmployeeWriteSerializer,
    OrgUnitWriteSerializer,
    PositionWriteSerializer,
)
from apps.tags import selectors as tag_selectors
from apps.tags import services as tag_services
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog
from apps.tags.serializers import (
    EmployeeTagWriteSerializer,
    PositionTagWriteSerializer,
    TagWriteSerializer,
)

Key = tuple[str, ...]


class Pending:
    """A reference to a row of this same file that the dry run has not written (an org unit's
    parent created three rows up): valid, and new."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.pk = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pending) and other.code == self.code

    def __hash__(self) -> int:
        return hash(self.code)


@dataclass(frozen=True)
class Ref:
    """A column that names another row by its code."""

    column: str
    model: type[Model]
    by: str
    label: str
    # The rows the importing user may name (None: everyone may name every row).
    visible: Callable[[Any], QuerySet[Any]] | None = None
    # A reference to rows of the kind being imported (a unit's parent): earlier rows count.
    same_kind: bool = False


class RefField(serializers.Field):  # type: ignore[type-arg]
    """A reference by code, resolved from the chunk's lookups (no query per row)."""

    def __init__(self, ref: Ref, **kwargs: Any) -> None:
        self.ref = ref
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        code = str(data).strip()
        found = self.context["refs"].get(self.ref.column, {}).get(code)
        if found is None:
            raise serializers.ValidationError(
                f"No {self.ref.label} with {self.ref.by} {code!r}"
                + (" in your scope." if self.ref.visible else "."),
                code=ErrorCode.UNKNOWN_REFERENCE,
            )
        return found

    def to_representation(self, value: Any) -> Any:  # pragma: no cover - never read back
        return getattr(value, self.ref.by, value)


def _text(value: Any) -> str:
    """A value as a cell: codes for references, ISO dates, plain decimals, true/false."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _same(current: Any, new: Any) -> bool:
    if isinstance(new, Pending):
        return False
    if isinstance(current, Model) or isinstance(new, Model):
        return getattr(current, "pk", current) == getattr(new, "pk", new)
    if current in (None, "") and new in (None, ""):
        return True
    return bool(current == new)


class Kind:
    """One importable resource. Subclasses set the class attributes and the service calls."""

    name: ClassVar[str]
    label: ClassVar[str]
    model: ClassVar[type[Model]]
    serializer: ClassVar[type[serializers.Serializer]]  # type: ignore[type-arg]
    columns: ClassVar[tuple[str, ...]]
    key: ClassVar[tuple[str, ...]]
    required: ClassVar[tuple[str, ...]]
    refs: ClassVar[tuple[Ref, ...]] = ()
    # Managers may import this kind (within their scope); otherwise HR admins only.
    managers_may: ClassVar[bool] = False
    # The rows a user sees (the resource's list selector): what an export holds.
    selector: ClassVar[Callable[..., QuerySet[Any]]]
    # Rows are never changed, only added (an existing key with other values is still a create,
    # or an appended version: see `update`).
    help: ClassVar[str] = ""

    # --- reading rows --------------------------------------------------------------------------

    def key_of(self, values: dict[str, str]) -> Key:
        return tuple(values.get(c, "").strip() for c in self.key)

    def key_text(self, key: Key) -> str:
        return " / ".join(key)

    def input(self, values: dict[str, str], serializer: Any) -> dict[str, Any]:
        """The serializer's input for a row: its cells, an empty cell as null where the field
        takes null (an empty end date), and as absent where the field has a default."""
        data: dict[str, Any] = {}
        for column, cell in values.items():
            target = serializer.fields.get(column)
            if target is None:
                continue
            if cell == "":
                if target.allow_null:
                    data[column] = None
                    continue
                if not target.required and not isinstance(target, serializers.CharField):
                    continue
            data[column] = cell
        return data

    def lookups(self, user: Any, rows: list[dict[str, str]]) -> dict[str, dict[str, Any]]:
        """column → {code: object} for every code the chunk's rows name."""
        found: dict[str, dict[str, Any]] = {}
        for ref in self.refs:
            codes = {r[ref.column].strip() for r in rows if r.get(ref.column, "").strip()}
            qs = ref.visible(user) if ref.visible else ref.model._default_manager.all()
            found[ref.column] = {
                getattr(o, ref.by): o for o in qs.filter(**{f"{ref.by}__in": codes})
            }
        return found

    # Of several rows with one key, the last in this order is the one matched.
    existing_order: ClassVar[tuple[str, ...]] = ()

    def existing(self, keys: list[Key]) -> dict[Key, Any]:
        """The rows already there for these keys (one query): those whose first key column is
        one of the keys', keyed by what their export row gives."""
        first = self.key[0]
        ref = next((r for r in self.refs if r.column == first), None)
        lookup = f"{first}__{ref.by}" if ref else first
        rows = self.export_queryset(
            self.model._default_manager.filter(**{f"{lookup}__in": {k[0] for k in keys}})
        ).order_by(*self.existing_order)
        return {self.key_of(self.export_row(row)): row for row in rows}

    # --- writing rows --------------------------------------------------------------------------

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        raise NotImplementedError

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        raise NotImplementedError

    # The kind's service creates many rows in one call (`create_many`): an all-or-nothing
    # commit hands it each chunk's new rows.
    batch_creates: ClassVar[bool] = False

    def create_many(self, rows: list[dict[str, Any]], actor: Any) -> Any:
        raise NotImplementedError

    def changes(self, instance: Any, data: dict[str, Any]) -> dict[str, Any]:
        """The file's columns whose values differ from the row's."""
        return {
            f: v
            for f, v in data.items()
            if f in self.columns and not _same(getattr(instance, f, None), v)
        }

    def violations(self, checked: Checked, user: Any) -> list[dict[str, Any]]:
        """What the business rules would say of writing the row (none for most kinds)."""
        return []

    # --- exporting rows ------------------------------------------------------------------------

    def export_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """`queryset` with the rows its references name (`export_row` reads their codes)."""
        return queryset.select_related(*(r.column for r in self.refs))

    def export_row(self, instance: Any) -> dict[str, str]:
        row = {}
        for column in self.columns:
            value = getattr(instance, column, None)
            ref = next((r for r in self.refs if r.column == column), None)
            if ref is not None and value is not None:
                value = getattr(value, ref.by)
            row[column] = _text(value)
        return row


class _ByCode(Kind):
    """A resource whose natural key is its `code`."""

    key = ("code",)


class OrgUnits(_ByCode):
    name = "org_units"
    label = "org units"
    selector = staticmethod(org_selectors.org_unit_list)
    model = OrgUnit
    serializer = OrgUnitWriteSerializer
    columns = ("code", "name", "parent", "active", "calendar")
    required = ("code", "name")
    refs = (
        Ref("parent", OrgUnit, "code", "org unit", same_kind=True),
        Ref("calendar", WorkCalendar, "code", "calendar"),
    )
    help = "`parent` names a unit of the file (any row above) or one already there."

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return org_services.org_unit_create(**data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return org_services.org_unit_update(unit=instance, **changes)


class Positions(_ByCode):
    name = "positions"
    label = "positions"
    selector = staticmethod(org_selectors.position_list)
    model = Position
    serializer = PositionWriteSerializer
    columns = (
        "code",
        "title",
        "org_unit",
        "weekly_hours",
        "start_date",
        "end_date",
        "active",
        "closes_on_holidays",
    )
    required = ("code", "title", "org_unit", "weekly_hours", "start_date")
    refs = (Ref("org_unit", OrgUnit, "code", "org unit"),)

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return org_services.position_create(actor=actor, **data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return org_services.position_update(position=instance, actor=actor, **changes)


class Employees(Kind):
    name = "employees"
    label = "employees"
    selector = staticmethod(org_selectors.employee_list)
    model = Employee
    serializer = EmployeeWriteSerializer
    columns = (
        "employee_number",
        "first_name",
        "last_name",
        "email",
        "org_unit",
        "contract_hours",
        "hire_date",
        "termination_date",
    )
    key = ("employee_number",)
    required = (
        "employee_number",
        "first_name",
        "last_name",
        "org_unit",
        "contract_hours",
        "hire_date",
    )
    refs = (Ref("org_unit", OrgUnit, "code", "org unit"),)
    help = "New employees start as candidates; states change through transitions, not imports."

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return org_services.employee_create(actor=actor, **data)

    batch_creates = True

    def create_many(self, rows: list[dict[str, Any]], actor: Any) -> Any:
        return org_services.employees_create(rows=rows, actor=actor)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return org_services.employee_update(employee=instance, actor=actor, **changes)


def _contract_hours_visible(*, user: Any) -> QuerySet[Any]:
    return ContractHours.objects.filter(
        employee__in=org_selectors.employee_list(user=user)
    ).order_by("employee__employee_number", "valid_from", "recorded_at", "id")


class _EmployeeRefSerializer(ContractHoursInputSerializer):
    """A contract-hours version with the employee it belongs to (the API has it in the URL)."""

    employee = serializers.CharField()


class ContractHoursKind(Kind):
    name = "contract_hours"
    label = "contract-hours versions"
    selector = staticmethod(_contract_hours_visible)
    model = ContractHours
    serializer = _EmployeeRefSerializer
    columns = ("employee", "valid_from", "hours", "note")
    key = ("employee", "valid_from")
    existing_order = ("recorded_at", "id")  # the latest recorded version of a day is matched
    required = ("employee", "valid_from", "hours")
    refs = (Ref("employee", Employee, "employee_number", "employee"),)
    help = (
        "`employee` is the employee number. Versions are never changed: a row whose employee "
        "and valid_from are there with other hours appends a newer version for that day, as "
        "POST employees/{id}/contract-hours/ does."
    )

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return org_services.contract_hours_add(actor=actor, **data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        data = {"hours": instance.hours, "note": instance.note, **changes}
        return org_services.contract_hours_add(
            employee=instance.employee, valid_from=instance.valid_from, actor=actor, **data
        )


def _employees_visible(user: Any) -> QuerySet[Any]:
    return Employee.objects.visible_to(user)


class LedgerEntries(Kind):
    name = "ledger_entries"
    label = "ledger entries"
    selector = staticmethod(offer_selectors.ledger_list)
    model = LedgerEntry
    serializer = LedgerEntryWriteSerializer
    columns = ("employee", "kind", "start_date", "end_date", "hours_per_week", "note")
    key = columns
    required = ("employee", "kind", "start_date", "end_date", "hours_per_week")
    refs = (Ref("employee", Employee, "employee_number", "employee", visible=_employees_visible),)
    managers_may = True
    help = (
        "The ledger is append-only: a row identical to an entry already there is unchanged, "
        "any other row is a new entry (corrections are reversals: POST hours-ledger/{id}/reverse/)."
    )

    def key_of(self, values: dict[str, str]) -> Key:
        key = list(super().key_of(values))
        with contextlib.suppress(ArithmeticError):  # 8, 8.0 and 8.00 hours: one entry
            key[4] = format(Decimal(key[4]).normalize(), "f")
        return tuple(key)

    def changes(self, instance: Any, data: dict[str, Any]) -> dict[str, Any]:
        return {}  # the key is every column: an entry found is the same entry

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return offer_services.ledger_entry_create(actor=actor, **data)


class Tags(_ByCode):
    name = "tags"
    label = "catalogue tags"
    selector = staticmethod(tag_selectors.tag_list)
    model = TagCatalog
    serializer = TagWriteSerializer
    columns = ("code", "label", "category", "description", "active")
    required = ("code", "label", "category")

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return tag_services.tag_catalog_create(actor=actor, **data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return tag_services.tag_catalog_update(tag=instance, actor=actor, **changes)


def _positions_visible(user: Any) -> QuerySet[Any]:
    return Position.objects.visible_to(user)


class CoverageRequirements(Kind):
    name = "coverage_requirements"
    label = "coverage requirements"
    selector = staticmethod(demand_selectors.requirement_list)
    model = CoverageRequirement
    serializer = RequirementWriteSerializer
    columns = ("position", "start_date", "end_date", "required_hours")
    key = ("position", "start_date")
    required = ("position", "start_date", "end_date", "required_hours")
    refs = (Ref("position", Position, "code", "position"),)
    help = "`position` is the position's code; a position's requirements may not overlap."

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return demand_services.requirement_create(**data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return demand_services.requirement_update(requirement=instance, **changes)


class EmployeeTags(Kind):
    name = "employee_tags"
    label = "employees' tags"
    selector = staticmethod(tag_selectors.employee_tag_list)
    model = EmployeeTag
    serializer = EmployeeTagWriteSerializer
    columns = ("employee", "tag", "level", "valid_from", "valid_until")
    key = ("employee", "tag", "valid_from")
    required = ("employee", "tag", "level", "valid_from")
    refs = (
        Ref("employee", Employee, "employee_number", "employee"),
        Ref("tag", TagCatalog, "code", "tag"),
    )
    help = "`employee` is the employee number, `tag` the tag's code."

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return tag_services.employee_tag_add(actor=actor, **data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return tag_services.employee_tag_change(employee_tag=instance, actor=actor, **changes)


class PositionTags(Kind):
    name = "position_tags"
    label = "positions' tags"
    selector = staticmethod(tag_selectors.position_tag_list)
    model = PositionTag
    serializer = PositionTagWriteSerializer
    columns = ("position", "tag", "requirement", "min_level")
    key = ("position", "tag")
    required = ("position", "tag")
    refs = (
        Ref("position", Position, "code", "position"),
        Ref("tag", TagCatalog, "code", "tag"),
    )
    help = "`position` is the position's code, `tag` the tag's code."

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return tag_services.position_tag_add(actor=actor, **data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return tag_services.position_tag_change(position_tag=instance, actor=actor, **changes)


class Assignments(Kind):
    name = "assignments"
    label = "assignments"
    selector = staticmethod(assignment_selectors.assignment_list)
    model = Assignment
    serializer = AssignmentWriteSerializer
    columns = ("employee", "position", "start_date", "end_date", "weekly_hours")
    key = ("employee", "position", "start_date")
    required = ("employee", "position", "start_date", "weekly_hours")
    refs = (
        Ref("employee", Employee, "employee_number", "employee", visible=_employees_visible),
        Ref("position", Position, "code", "position", visible=_positions_visible),
    )
    managers_may = True
    help = (
        "New rows are proposed assignments, checked by the business rules as a proposal is "
        "(the dry run lists their violations); only a proposed assignment can be changed."
    )

    def violations(self, checked: Checked, user: Any) -> list[dict[str, Any]]:
        if checked.action != "create":
            return []
        fields = {k: v for k, v in checked.data.items() if k in self.columns}
        found: list[dict[str, Any]] = assignment_services.assignment_simulate(actor=user, **fields)[
            "violations"
        ]
        return found

    def create(self, data: dict[str, Any], actor: Any) -> Any:
        return assignment_services.assignment_propose(actor=actor, **data)

    def update(self, instance: Any, changes: dict[str, Any], actor: Any) -> Any:
        return assignment_services.assignment_update(assignment=instance, actor=actor, **changes)


KINDS: dict[str, Kind] = {
    kind.name: kind
    for kind in (
        OrgUnits(),
        Positions(),
        Employees(),
        ContractHoursKind(),
        LedgerEntries(),
        CoverageRequirements(),
        Tags(),
        EmployeeTags(),
        PositionTags(),
        Assignments(),
    )
}


def kind_for(name: str) -> Kind:
    return KINDS[name]


def row_serializer(kind: Kind, *, refs: dict[str, dict[str, Any]]) -> Any:
    """One serializer for every row of a chunk: the kind's write serializer with references
    by code and without its unique validators (the natural key decides)."""
    base: Any = kind.serializer
    ref_fields = {ref.column: ref for ref in kind.refs}

    class RowSerializer(base):  # type: ignore[misc, valid-type]
        scoped_relations: ClassVar[dict[str, Any]] = {}

        def get_fields(self) -> dict[str, Any]:
            fields = super().get_fields()
            for name, ref in ref_fields.items():
                current = fields.get(name)
                fields[name] = RefField(
                    ref,
                    required=bool(current.required) if current is not None else True,
                    allow_null=bool(current.allow_null) if current is not None else False,
                )
            for f in fields.values():
                f.validators = [v for v in f.validators if not isinstance(v, UniqueValidator)]
            return fields

        def get_validators(self) -> list[Any]:
            return [
                v for v in super().get_validators() if not isinstance(v, UniqueTogetherValidator)
            ]

    serializer = RowSerializer(context={"refs": refs})
    _ = serializer.fields  # built once, here
    return serializer


@dataclass
class Checked:
    """What a row is: its action, key, the values to write, the changed columns, errors."""

    action: str
    key: str
    data: dict[str, Any] = field(default_factory=dict)
    instance: Any = None
    changed: list[str] = field(default_factory=list)
    errors: list[dict[str, str]] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)


def flatten_errors(detail: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF's error detail as [{field, code, message}]."""
    out: list[dict[str, str]] = []
    if isinstance(detail, dict):
        for name, value in detail.items():
            name = "" if name in ("non_field_errors", "__all__") else name
            out.extend(
                flatten_errors(value, f"{prefix}.{name}" if prefix and name else name or prefix)
            )
    elif isinstance(detail, list):
        for value in detail:
            out.extend(flatten_errors(value, prefix))
    else:
        out.append(
            {
                "field": prefix,
                "code": getattr(detail, "code", "invalid") or "invalid",
                "message": str(detail),
            }
        )
    return out
