"""Files that create one row of each kind, and how to find what they made (shared by the API
and admin tests); the `refs` fixture (tests/imports/conftest.py) seeds what they name."""

from __future__ import annotations

from decimal import Decimal

from apps.assignments.models import Assignment
from apps.demand.models import CoverageRequirement
from apps.offer.models import LedgerEntry
from apps.org.models import ContractHours, Employee, OrgUnit, Position
from apps.tags.models import EmployeeTag, PositionTag, TagCatalog

LEDGER = "employee,kind,start_date,end_date,hours_per_week,note\n"

# kind: (file, how to find what it made)
CREATES = {
    "org_units": (
        "code,name,parent\nK-NEW,New unit,K-UNIT\n",
        lambda: OrgUnit.objects.get(code="K-NEW").parent.code == "K-UNIT",
    ),
    "positions": (
        "code,title,org_unit,weekly_hours,start_date\nK-P2,Runner,K-UNIT,20,2026-02-02\n",
        lambda: Position.objects.get(code="K-P2").weekly_hours == Decimal("20"),
    ),
    "employees": (
        "employee_number,first_name,last_name,org_unit,contract_hours,hire_date\nK-E2,Al,Bo,K-UNIT,30,2026-02-02\n",
        lambda: Employee.objects.get(employee_number="K-E2").contract_hours == Decimal("30"),
    ),
    "contract_hours": (
        "employee,valid_from,hours,note\nK-E1,2026-06-01,32,part time\n",
        lambda: ContractHours.objects.filter(employee__employee_number="K-E1", hours=32).exists(),
    ),
    "ledger_entries": (
        LEDGER + "K-E1,extra_availability,2026-03-02,2026-03-06,4,\n",
        lambda: LedgerEntry.objects.filter(employee__employee_number="K-E1").exists(),
    ),
    "coverage_requirements": (
        "position,start_date,end_date,required_hours\nK-P1,2026-03-02,2026-03-29,80\n",
        lambda: CoverageRequirement.objects.get(position__code="K-P1").required_hours == 80,
    ),
    "tags": (
        "code,label,category\nk-new,New,skill\n",
        lambda: TagCatalog.objects.filter(code="k-new").exists(),
    ),
    "employee_tags": (
        "employee,tag,level,valid_from\nK-E1,k-tag,3,2026-01-05\n",
        lambda: EmployeeTag.objects.get(employee__employee_number="K-E1").level == 3,
    ),
    "position_tags": (
        "position,tag,requirement,min_level\nK-P1,k-tag,preferred,2\n",
        lambda: PositionTag.objects.get(position__code="K-P1").requirement == "preferred",
    ),
    "assignments": (
        "employee,position,start_date,end_date,weekly_hours\nK-E1,K-P1,2026-03-02,2026-05-31,20\n",
        lambda: Assignment.objects.get(employee__employee_number="K-E1").state == "proposed",
    ),
}
