"""Bench-only baselines (mounted under /bench/ when BENCH_VIEWS=true)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path

from apps.org.models import Employee
from apps.tags.models import EmployeeTag

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
    """The employees page through .values() and JsonResponse: the database floor. The same page
    as GET employees/ (count, 25 rows with the org unit's code and name, each one's tags), with
    no authentication, throttling, filtering or serializer."""
    rows = list(Employee.objects.order_by("last_name", "first_name", "id").values(*FIELDS)[:25])
    tags: dict[int, list[dict[str, object]]] = {row["id"]: [] for row in rows}
    for employee_id, code, label, level, valid_from, valid_until in (
        EmployeeTag.objects.filter(employee_id__in=list(tags))
        .order_by("employee_id", "tag__code", "valid_from")
        .values_list("employee_id", "tag__code", "tag__label", "level", "valid_from", "valid_until")
    ):
        tags[employee_id].append(
            {
                "tag": code,
                "label": label,
                "level": level,
                "valid_from": valid_from,
                "valid_until": valid_until,
            }
        )
    for row in rows:
        row["contract_hours"] = str(row["contract_hours"])
        row["tags"] = tags[row["id"]]
    return JsonResponse({"count": Employee.objects.count(), "results": rows})


urlpatterns = [path("bare/", bare), path("raw-employees/", raw_floor)]
