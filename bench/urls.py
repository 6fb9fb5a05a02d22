"""Bench-only baselines (mounted under /bench/ when BENCH_VIEWS=true)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from apps.org.models import Employee

FIELDS = (
    "id",
    "employee_number",
    "first_name",
    "last_name",
    "email",
    "org_unit",
    "org_unit__code",
    "org_unit__name",
    "contract_hours",
    "hire_date",
    "termination_date",
    "state",
    "user",
)


def bare(request: HttpRequest) -> JsonResponse:
    """The floor of the server itself: no database, no framework beyond Django."""
    return JsonResponse({"ok": True})


def raw_floor(request: HttpRequest) -> JsonResponse:
    """The employees page through .values() and JsonResponse: the database floor."""
    rows = list(Employee.objects.order_by("last_name", "first_name", "id").values(*FIELDS)[:25])
    for row in rows:
        row["contract_hours"] = str(row["contract_hours"])
    return JsonResponse({"count": Employee.objects.count(), "results": rows})


urlpatterns = [path("bare/", bare), path("raw-employees/", raw_floor)]
