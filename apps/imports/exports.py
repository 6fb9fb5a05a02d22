"""`?format=csv` on the list endpoints (DESIGN.md §9): each list whose resource can be imported
exports its rows in the kind's template columns, so that export → edit → import changes only the
edited rows. The lists stay in their own apps; this registers the format on them
(apps.core.viewsets.register_csv_export)."""

from __future__ import annotations

from apps.assignments.views import AssignmentViewSet
from apps.core.viewsets import CSVExport, register_csv_export
from apps.demand.views import RequirementViewSet
from apps.imports.kinds import KINDS
from apps.offer.views import LedgerEntryViewSet
from apps.org.views import EmployeeViewSet, OrgUnitViewSet, PositionViewSet
from apps.tags.views import EmployeeTagViewSet, PositionTagViewSet, TagViewSet

EXPORTED = {
    OrgUnitViewSet: "org_units",
    PositionViewSet: "positions",
    EmployeeViewSet: "employees",
    LedgerEntryViewSet: "ledger_entries",
    RequirementViewSet: "coverage_requirements",
    TagViewSet: "tags",
    EmployeeTagViewSet: "employee_tags",
    PositionTagViewSet: "position_tags",
    AssignmentViewSet: "assignments",
}


def register_exports() -> None:
    for viewset, name in EXPORTED.items():
        kind = KINDS[name]
        register_csv_export(
            viewset,
            CSVExport(columns=kind.columns, prepare=kind.export_queryset, row=kind.export_row),
        )
