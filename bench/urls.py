"""Bench-only baselines (mounted under /bench/ when BENCH_VIEWS=true)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from apps.core.serializers import values_mapper
from apps.org.models import Employee
from apps.org.serializers import EmployeeSerializer, employee_contributions


def bare(request: HttpRequest) -> JsonResponse:
    """The floor of the server itself: no database, no framework beyond Django."""
    return JsonResponse({"ok": True})


def raw_floor(request: HttpRequest) -> JsonResponse:
    """The employees page through .values() and JsonResponse: the database floor. The same page
    as GET employees/ (count, 25 rows with the org unit's code and name, each one's tags from
    the same one query), with no authentication, throttling, filtering or serializer."""
    columns = values_mapper(EmployeeSerializer).columns
    rows = list(Employee.objects.order_by("last_name", "first_name", "id").values(*columns)[:25])
    extra = employee_contributions.values([row["id"] for row in rows])
    for row in rows:
        row["contract_hours"] = str(row["contract_hours"])
        for name, values in extra.items():
            row[name] = values[row["id"]]
    return JsonResponse({"count": Employee.objects.count(), "results": rows})


urlpatterns = [path("bare/", bare), path("raw-employees/", raw_floor)]
