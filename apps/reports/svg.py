"""Small charts drawn server-side as SVG for the admin pages.

The admin's Content-Security-Policy allows no inline scripts and no inline styles, so the charts
use SVG presentation attributes (fill=, width=) only, link nothing external, and every text in
them is escaped by format_html.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from apps.reports.weeks import week_label, week_range, week_start

FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
INK = "#333333"
MUTED = "#767676"
RULE = "#d0d0d0"
DEMAND_FILL = "#9e9e9e"  # what is asked for (required hours, an employee's supply)
ASSIGNED_FILL = "#2166ac"

CHART_WEEKS = 12  # change pages show this week and the next eleven


def svg_document(
    *, width: int, height: int, label: str, body: SafeString, css_class: str
) -> SafeString:
    """An inline <svg> element of `width` × `height` pixels on white (legible in the admin's
    dark mode too), labelled for screen readers."""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="{}" width="{}" height="{}" '
        'viewBox="0 0 {} {}" role="img" aria-label="{}" font-family="{}">'
        '<title>{}</title><rect width="100%" height="100%" fill="#ffffff"/>{}</svg>',
        css_class,
        width,
        height,
        width,
        height,
        label,
        FONT,
        label,
        body,
    )


def concat(parts: Sequence[SafeString]) -> SafeString:
    """Safe fragments joined into one."""
    return format_html_join("", "{}", ((part,) for part in parts))


def hours(value: Decimal) -> str:
    """12.50 → "12.50 h"."""
    return f"{value:.2f} h"


def nice_ceiling(value: Decimal) -> Decimal:
    """The axis maximum for `value`: 1, 2 or 5 times a power of ten, at least 1."""
    if value <= 1:
        return Decimal(1)
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


@dataclass(frozen=True)
class Series:
    """One series of a week chart: a name for the legend, a value per week, a colour."""

    name: str
    values: Sequence[Decimal]
    fill: str


def week_bars(*, label: str, weeks: Sequence[dt.date], series: Sequence[Series]) -> SafeString:
    """Grouped bars, one group per week and one bar per series, with a legend and a scale."""
    left, top, bottom, plot_height = 44, 26, 30, 100
    group, gap = 36, 8
    width = left + group * len(weeks) + 8
    height = top + plot_height + bottom
    top_value = nice_ceiling(max((v for s in series for v in s.values), default=Decimal(0)))
    bar = (group - gap) / max(len(series), 1)

    def y(value: Decimal) -> float:
        clamped = min(max(value, Decimal(0)), top_value)
        return top + plot_height - float(clamped / top_value) * plot_height

    parts: list[SafeString] = []
    for tick in (Decimal(0), top_value / 2, top_value):
        parts.append(
            format_html(
                '<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{}" stroke-width="1"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="end" fill="{}">{} h</text>',
                left,
                width - 8,
                f"{y(tick):.1f}",
                f"{y(tick):.1f}",
                RULE,
                left - 4,
                f"{y(tick) + 3:.1f}",
                MUTED,
                f"{tick.normalize():f}",
            )
        )
    x = 4
    for item in series:
        parts.append(
            format_html(
                '<rect x="{}" y="6" width="10" height="10" fill="{}"/>'
                '<text x="{}" y="15" font-size="11" fill="{}">{}</text>',
                x,
                item.fill,
                x + 14,
                INK,
                item.name,
            )
        )
        x += 14 + 7 * len(item.name) + 16
    for index, monday in enumerate(weeks):
        x0 = left + index * group + gap / 2
        tip = f"{week_label(monday)} ({monday:%d %b}): " + ", ".join(
            f"{item.name} {hours(item.values[index])}" for item in series
        )
        bars = format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" data-series="{}" '
            'data-value="{}"/>',
            (
                (
                    f"{x0 + n * bar:.1f}",
                    f"{y(item.values[index]):.1f}",
                    f"{bar - 1:.1f}",
                    f"{top + plot_height - y(item.values[index]):.1f}",
                    item.fill,
                    item.name,
                    f"{item.values[index]:.2f}",
                )
                for n, item in enumerate(series)
            ),
        )
        parts.append(
            format_html(
                '<g data-week="{}"><title>{}</title>{}'
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{}">{}</text></g>',
                week_label(monday),
                tip,
                bars,
                f"{x0 + (group - gap) / 2:.1f}",
                top + plot_height + 14,
                MUTED,
                f"W{monday.isocalendar()[1]:02d}",
            )
        )
    return svg_document(
        width=width,
        height=height,
        label=label,
        body=concat(parts),
        css_class="week-chart",
    )


def coming_weeks_chart(
    *,
    title: str,
    weeks_of: Callable[[dt.date, dt.date], Iterable[Any]],
    zero: Any,
    series: Sequence[tuple[str, str, str]],
    today: dt.date | None = None,
) -> SafeString:
    """`week_bars` of this week and the next CHART_WEEKS - 1, for an admin change page.

    `weeks_of(first, last)` gives the rows (with `week_start`) of those weeks, `zero` stands for
    a week without a row, and each series is (name, the row's attribute, fill).
    """
    first = week_start(today or dt.date.today())
    weeks = week_range(first, first + dt.timedelta(weeks=CHART_WEEKS - 1))
    by_week = {row.week_start: row for row in weeks_of(weeks[0], weeks[-1])}
    rows = [by_week.get(monday, zero) for monday in weeks]
    return week_bars(
        label=f"{title}, {week_label(weeks[0])} to {week_label(weeks[-1])}",
        weeks=weeks,
        series=[
            Series(name, [getattr(r, attr) for r in rows], fill) for name, attr, fill in series
        ],
    )
