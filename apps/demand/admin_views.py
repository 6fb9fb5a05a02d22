"""The coverage page of the Django admin: an org unit and a range of weeks in, a heat map of
positions × weeks, the unit's totals per week and the worst gaps out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.admin import ModelAdmin
from django.http import HttpRequest, HttpResponse, QueryDict
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode

from apps.demand.charts import BANDS, HOLIDAY_FILL, heatmap_svg
from apps.demand.selectors import coverage_report
from apps.org.models import OrgUnit, Position
from apps.reports.weeks import week_label, week_start

DEFAULT_WEEKS = 12  # this week and the next eleven
MAX_WEEKS = 53  # a year of columns is as wide as a heat map stays readable
MAX_ROWS = 60  # the positions with the largest uncovered hours
WORST_GAPS = 10
INDENT = "\u00a0" * 3  # per tree level in the unit select


class UnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """Org units in tree order, indented by depth."""

    def label_from_instance(self, obj: Any) -> str:
        depth = obj.path.count("/") - 2
        inactive = "" if obj.active else " (inactive)"
        return f"{INDENT * depth}{obj.code} {obj.name}{inactive}"


class CoverageReportForm(forms.Form):
    """Which unit (its whole subtree) and which weeks; both ends count as whole ISO weeks."""

    unit = UnitChoiceField(queryset=OrgUnit.objects.order_by("path"), empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # "from" is a Python keyword: the fields are added by name.
        self.fields["from"] = forms.DateField(label="From", widget=date_input)
        self.fields["to"] = forms.DateField(label="To", widget=date_input)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("from"), data.get("to")
        if first and last:
            if last < first:
                self.add_error("to", "The end is before the start.")
            elif (week_start(last) - week_start(first)).days // 7 + 1 > MAX_WEEKS:
                self.add_error("to", f"At most {MAX_WEEKS} weeks at once.")
        return data


def default_query(today: dt.date) -> dict[str, str]:
    """The first root unit, this week and the next eleven."""
    first = week_start(today)
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("path").first()
    return {
        "unit": str(root.pk) if root else "",
        "from": first.isoformat(),
        "to": (first + dt.timedelta(weeks=DEFAULT_WEEKS - 1)).isoformat(),
    }


def _shifted(query: dict[str, Any], weeks: int) -> str:
    """The query string of the same unit and length, `weeks` later (earlier if negative)."""
    delta = dt.timedelta(weeks=weeks)
    return urlencode(
        {
            "unit": query["unit"].pk,
            "from": (query["from"] + delta).isoformat(),
            "to": (query["to"] + delta).isoformat(),
        }
    )


def _position_url(position: Position) -> str:
    return reverse("admin:org_position_change", args=[position.pk])


def coverage_report_view(
    request: HttpRequest, *, model_admin: ModelAdmin[Any], today: dt.date | None = None
) -> HttpResponse:
    """GET ?unit=&from=&to= (defaults: the first root unit, 12 weeks from this week)."""
    params: QueryDict = request.GET.copy()
    for key, value in default_query(today or dt.date.today()).items():
        if not params.get(key):
            params[key] = value
    form = CoverageReportForm(params)
    context: dict[str, Any] = {
        **model_admin.admin_site.each_context(request),
        "title": "Coverage report",
        "opts": model_admin.opts,
        "form": form,
        "bands": BANDS,
        "holiday_fill": HOLIDAY_FILL,
        "max_rows": MAX_ROWS,
    }
    if form.is_valid():
        query = form.cleaned_data
        report = coverage_report(
            unit=query["unit"],
            first=query["from"],
            last=query["to"],
            rows=MAX_ROWS,
            worst=WORST_GAPS,
        )
        length = len(report.weeks)
        context.update(
            report=report,
            first_week=week_label(report.weeks[0]),
            last_week=week_label(report.weeks[-1]),
            heatmap=heatmap_svg(report, position_url=_position_url) if report.rows else None,
            earlier=_shifted(query, -length),
            later=_shifted(query, length),
        )
    return TemplateResponse(request, "admin/demand/coverage_report.html", context)
