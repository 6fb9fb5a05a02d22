"""Coverage drawn as SVG for the admin: the positions × weeks heat map of the coverage report,
and a position's coming weeks (required vs assigned) on its change page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.html import format_html
from django.utils.safestring import SafeString

from apps.demand.selectors import CoverageReport, CoverageWeek, coverage_weeks
from apps.org.models import Position
from apps.reports.svg import (
    ASSIGNED_FILL,
    DEMAND_FILL,
    INK,
    MUTED,
    coming_weeks_chart,
    concat,
    hours,
    svg_document,
)
from apps.reports.weeks import week_label


@dataclass(frozen=True)
class Band:
    """A colour of the heat map: a range of coverage ratios."""

    name: str  # a stable key (data-band="..."), for tests and styling
    label: str
    fill: str
    ink: str  # the colour of text drawn on `fill`


# A diverging red–blue scale (ColorBrewer RdBu, readable with red–green colour blindness):
# red is demand without hours, green-ish is covered, blue is hours beyond demand.
GAP_SEVERE = Band("gap-severe", "under 50 %", "#b2182b", "#ffffff")
GAP = Band("gap", "50–80 %", "#ef8a62", "#1a1a1a")
GAP_SMALL = Band("gap-small", "80–95 %", "#fddbc7", "#1a1a1a")
COVERED = Band("covered", "95–105 % (covered)", "#d9f0d3", "#1a1a1a")
OVER = Band("over", "105–125 %", "#92c5de", "#1a1a1a")
OVER_SEVERE = Band("over-severe", "over 125 %, or hours without demand", "#2166ac", "#ffffff")
NO_DEMAND = Band("none", "no demand, nobody assigned", "#f0f0f0", MUTED)
BANDS = (GAP_SEVERE, GAP, GAP_SMALL, COVERED, OVER, OVER_SEVERE, NO_DEMAND)
# The mark of a week with a public holiday (or closure, half day) in the unit's calendar.
HOLIDAY_FILL = "#762a83"


def percent(week: CoverageWeek) -> int | None:
    """Assigned / required hours in whole percent (None without demand)."""
    if week.ratio is None:
        return None
    return int((week.ratio * 100).quantize(Decimal(1), ROUND_HALF_UP))


def band_of(week: CoverageWeek) -> Band:
    """The heat-map colour of a position-week, by the percent its cell shows (so that a cell
    reading "50%" is never coloured as "under 50 %")."""
    share = percent(week)
    if share is None:
        return OVER_SEVERE if week.assigned > 0 else NO_DEMAND
    for limit, band in ((50, GAP_SEVERE), (80, GAP), (95, GAP_SMALL)):
        if share < limit:
            return band
    if share <= 105:
        return COVERED
    return OVER if share <= 125 else OVER_SEVERE


def cell_text(week: CoverageWeek) -> str:
    """What a heat-map cell says: the percent, or the hours assigned without demand."""
    share = percent(week)
    if share is None:
        return f"+{week.assigned:.0f} h" if week.assigned > 0 else ""
    return f"{share}%"


def _truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


LABEL_WIDTH, CELL_WIDTH, CELL_HEIGHT, HEAD_HEIGHT, TOTAL_WIDTH = 250, 54, 22, 36, 86


def heatmap_svg(report: CoverageReport, *, position_url: Callable[[Position], str]) -> SafeString:
    """Positions (rows, largest uncovered hours first) × weeks (columns), one rect per cell
    coloured by its band, with the numbers in a tooltip; the last column is each row's
    uncovered hours."""
    weeks = report.weeks
    grid_right = LABEL_WIDTH + CELL_WIDTH * len(weeks)
    width = grid_right + TOTAL_WIDTH
    height = HEAD_HEIGHT + CELL_HEIGHT * len(report.rows) + 4
    parts: list[SafeString] = []
    for index, monday in enumerate(weeks):
        x = LABEL_WIDTH + index * CELL_WIDTH + CELL_WIDTH / 2
        days_off = report.holidays.get(monday)
        if days_off:
            # A holiday week: a bar under the week's label, the days off in its tooltip.
            parts.append(
                format_html(
                    '<rect class="holiday" x="{}" y="31" width="{}" height="4" rx="1" '
                    'fill="{}" data-week="{}"><title>{}</title></rect>',
                    LABEL_WIDTH + index * CELL_WIDTH + 1,
                    CELL_WIDTH - 2,
                    HOLIDAY_FILL,
                    week_label(monday),
                    f"{week_label(monday)}, days off: " + "; ".join(days_off),
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="14" font-size="11" font-weight="bold" text-anchor="middle" '
                'fill="{}">W{}</text>'
                '<text x="{}" y="28" font-size="10" text-anchor="middle" fill="{}">{}</text>',
                f"{x:.0f}",
                INK,
                f"{monday.isocalendar()[1]:02d}",
                f"{x:.0f}",
                MUTED,
                f"{monday:%d %b}",
            )
        )
    parts.append(
        format_html(
            '<text x="{}" y="14" font-size="11" font-weight="bold" text-anchor="end" '
            'fill="{}">uncovered</text>',
            width - 6,
            INK,
        )
    )
    for row_index, row in enumerate(report.rows):
        y = HEAD_HEIGHT + row_index * CELL_HEIGHT
        position = row.position
        cells = [
            format_html(
                '<rect class="cell" x="{}" y="{}" width="{}" height="{}" rx="2" fill="{}" '
                'data-week="{}" data-band="{}"><title>{}</title></rect>'
                '<text x="{}" y="{}" font-size="10" text-anchor="middle" fill="{}" '
                'pointer-events="none">{}</text>',
                LABEL_WIDTH + index * CELL_WIDTH + 1,
                y + 1,
                CELL_WIDTH - 2,
                CELL_HEIGHT - 2,
                band.fill,
                week.week,
                band.name,
                f"{position.code} {week.week}: required {hours(week.required)}, "
                f"assigned {hours(week.assigned)}, gap {hours(week.gap)}"
                + (
                    f", {hours(week.holiday_hours_lost)} of the assigned hours lost to holidays"
                    if week.holiday_hours_lost
                    else ""
                )
                + (
                    f", {hours(week.leave_hours_lost)} lost to leave"
                    if week.leave_hours_lost
                    else ""
                ),
                f"{LABEL_WIDTH + index * CELL_WIDTH + CELL_WIDTH / 2:.0f}",
                y + 15,
                band.ink,
                cell_text(week),
            )
            for index, (week, band) in enumerate((w, band_of(w)) for w in row.weeks)
        ]
        parts.append(
            format_html(
                '<g class="row" data-position="{}">'
                '<a href="{}"><title>{}</title>'
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text></a>'
                "{}"
                '<text x="{}" y="{}" font-size="11" text-anchor="end" fill="{}">{}</text></g>',
                position.pk,
                position_url(position),
                f"{position.code} {position.title} ({position.org_unit.code})",
                LABEL_WIDTH - 8,
                y + 15,
                INK,
                _truncate(f"{position.code} {position.title}", 36),
                concat(cells),
                width - 6,
                y + 15,
                INK,
                hours(row.uncovered),
            )
        )
    first, last = week_label(weeks[0]), week_label(weeks[-1])
    return svg_document(
        width=width,
        height=height,
        label=f"Coverage of {report.unit.code} {report.unit.name}, {first} to {last}",
        body=concat(parts),
        css_class="coverage-heatmap",
    )


def position_chart(position: Position, *, today: dt.date | None = None) -> SafeString:
    """Required vs assigned hours of `position` for this week and the next eleven."""
    return coming_weeks_chart(
        title=f"{position.code}: required and assigned hours",
        weeks_of=lambda first, last: coverage_weeks(
            first=first, last=last, position_ids=[position.pk]
        ),
        zero=CoverageWeek(position.pk, dt.date.min, Decimal(0), Decimal(0)),
        series=[("required", "required", DEMAND_FILL), ("assigned", "assigned", ASSIGNED_FILL)],
        today=today,
    )
