"""seed_demo's leave: entitlements for this year and next, the two leave rules, and the demo
employee's requests (one approved with its ledger entry, one pending), idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.business_rules.models import BusinessRule
from apps.leave.models import LeaveEntitlement, LeaveRequest
from apps.org.models import Employee

pytestmark = pytest.mark.django_db


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def test_seed_gives_entitlements_rules_and_the_demo_employees_requests_once():
    seed(employees=20, positions=5, org_units=3)
    year = timezone.localdate().year
    assert LeaveEntitlement.objects.filter(year=year).count() == 20
    assert LeaveEntitlement.objects.filter(year=year + 1).count() == 20
    assert set(
        BusinessRule.objects.filter(kind__startswith="leave_").values_list("kind", flat=True)
    ) == {"leave_balance", "leave_opens_gap"}
    employee = Employee.objects.get(user__email="employee@coveris.test")
    requests = LeaveRequest.objects.filter(employee=employee)
    assert sorted(requests.values_list("state", flat=True)) == ["approved", "requested"]
    assert requests.get(state="approved").ledger_entry is not None

    again = seed(employees=20, positions=5, org_units=3)
    assert "leave entitlements" in again
    assert LeaveEntitlement.objects.count() == 40
    assert LeaveRequest.objects.count() == 2
    assert BusinessRule.objects.filter(kind__startswith="leave_").count() == 2
