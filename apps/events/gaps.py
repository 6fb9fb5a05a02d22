"""Gap events (DESIGN §10): when committed changes open or close a coverage gap of at least the
unit's threshold within the next GAP_EVENT_WEEKS weeks, `coveris.coverage.gap_opened` /
`gap_closed` name the position, the weeks and the hours.

The dispatcher hands every batch of events to `check_batch`, inside its transaction. The
positions the batch touches are found from its subjects (a position and its hours and
requirements; an assignment's position; an employee's assignments' positions — also for the
employee's ledger entries, whose subject is the employee: leave takes hours off the
assignments, DESIGN §11; the positions under a unit, or under the units that follow a
calendar). Their coverage is computed set-based,
twice, by the report's own query: as of just before the batch's first change (from the recorded
history, apps.core.asof) and as it is now. A week whose gap crosses the threshold, either way,
goes into one event per position and direction, written to the outbox in the same transaction
as the dispatcher's cursor."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.core import asof
from apps.demand.selectors import coverage_weeks
from apps.events.models import Event, GapThreshold
from apps.events.types import GAP_CLOSED, GAP_OPENED
from apps.org.models import Position
from apps.reports.weeks import week_label, week_start

# Subjects whose changes can move coverage, and how to find the positions they touch.
_POSITIONS_OF = {
    "position": "SELECT id FROM org_position WHERE id = ANY(%(ids)s)",
    "assignment": "SELECT position_id FROM assignments_assignment WHERE id = ANY(%(ids)s)",
    # An employee's changes and their ledger entries (subject `employee/<id>`): leave takes
    # hours off their assignments.
    "employee": "SELECT position_id FROM assignments_assignment WHERE employee_id = ANY(%(ids)s)",
    "org_unit": """
        SELECT p.id FROM org_position p JOIN org_orgunit u ON u.id = p.org_unit_id
        JOIN org_orgunit t ON u.path LIKE t.path || '%%' WHERE t.id = ANY(%(ids)s)""",
    "work_calendar": """
        SELECT p.id FROM org_position p JOIN org_orgunit u ON u.id = p.org_unit_id
        JOIN org_orgunit t ON u.path LIKE t.path || '%%' WHERE t.calendar_id = ANY(%(ids)s)""",
}


# An update of these entities moves coverage only through these columns (a renamed employee
# does not): other updates are not looked at.
_COVERAGE_COLUMNS = {
    "org_unit": {"parent_id", "path", "calendar_id", "active"},
    "employee": {"org_unit_id", "hire_date", "termination_date", "contract_hours", "state"},
    "position": {
        "org_unit_id",
        "weekly_hours",
        "start_date",
        "end_date",
        "active",
        "closes_on_holidays",
    },
    "work_calendar": {"week_hours"},
}


def _may_move_coverage(event: Event) -> bool:
    if event.type.startswith("coveris.coverage.") or event.type.startswith("coveris.webhook."):
        return False
    columns = _COVERAGE_COLUMNS.get(event.entity_type)
    if columns is None or not event.type.endswith(".updated"):
        return True
    changed = (event.data or {}).get("changes") or {}
    return bool(columns & set(changed))


def touched_positions(events: list[Event]) -> set[int]:
    """The positions whose coverage the events may have changed."""
    ids: dict[str, set[int]] = defaultdict(set)
    for event in events:
        if not _may_move_coverage(event):
            continue
        kind, _, number = event.subject.partition("/")
        if kind in _POSITIONS_OF and number.isdigit():
            ids[kind].add(int(number))
    found: set[int] = set()
    with connection.cursor() as sql:
        for kind, numbers in ids.items():
            sql.execute(_POSITIONS_OF[kind], {"ids": sorted(numbers)})
            found.update(row[0] for row in sql.fetchall())
    return found


def thresholds(positions: list[Position]) -> dict[int, Decimal]:
    """Each position's threshold: its unit's, or the nearest ancestor's, or the default."""
    default = Decimal(settings.GAP_EVENT_THRESHOLD_HOURS)
    set_on = dict(GapThreshold.objects.values_list("org_unit_id", "hours"))
    result = {}
    for position in positions:
        path = [int(p) for p in position.org_unit.path.strip("/").split("/") if p]
        found = next((set_on[u] for u in reversed(path) if u in set_on), default)
        result[position.pk] = found
    return result


def _gaps(position_ids: list[int], first: dt.date, last: dt.date) -> dict[tuple[int, dt.date], Any]:
    return {
        (row.key, row.week_start): row
        for row in coverage_weeks(
            first=first, last=last, position_ids=position_ids, using="default"
        )
    }


def check_batch(events: list[Event]) -> int:
    """Write the gap events the batch's changes caused; how many."""
    positions_touched = touched_positions(events)
    if not positions_touched:
        return 0
    ids = sorted(positions_touched)
    today = timezone.localdate()
    first = week_start(today)
    last = first + dt.timedelta(weeks=settings.GAP_EVENT_WEEKS - 1)
    before_instant = min(e.time for e in events) - dt.timedelta(microseconds=1)
    with asof.as_of(before_instant):
        before = _gaps(ids, first, last)
    after = _gaps(ids, first, last)
    positions = {p.pk: p for p in Position.objects.filter(pk__in=ids).select_related("org_unit")}
    limits = thresholds(list(positions.values()))
    changes: dict[tuple[int, str], list[dict[str, Any]]] = defaultdict(list)
    for key in sorted(set(before) | set(after)):
        position_id, monday = key
        if position_id not in positions:
            continue
        limit = limits[position_id]
        old = before[key].gap if key in before else Decimal("0")
        new_row = after.get(key)
        new = new_row.gap if new_row else Decimal("0")
        if (old >= limit) == (new >= limit):
            continue
        direction = GAP_OPENED if new >= limit else GAP_CLOSED
        changes[(position_id, direction)].append(
            {
                "week": week_label(monday),
                "week_start": monday.isoformat(),
                "required": str(new_row.required if new_row else Decimal("0.00")),
                "assigned": str(new_row.assigned if new_row else Decimal("0.00")),
                "gap": str(new if new_row else Decimal("0.00")),
                "gap_before": str(old),
            }
        )
    if not changes:
        return 0
    causes = sorted({e.uid for e in events})[:50]
    tail = f"{events[-1].xid}.{events[-1].pk}"
    rows = []
    for (position_id, direction), weeks in sorted(changes.items()):
        position = positions[position_id]
        data = {
            "position": position.pk,
            "position_code": position.code,
            "org_unit": position.org_unit_id,
            "threshold": str(limits[position_id]),
            "weeks": weeks,
            "hours": str(sum((Decimal(w["gap"]) for w in weeks), Decimal("0"))),
            "caused_by": causes,
        }
        rows.append(
            (
                f"gap:{tail}:{position.pk}:{direction.rsplit('_', 1)[-1]}",
                direction,
                f"position/{position.pk}",
                position.pk,
                position.org_unit_id,
                json.dumps(data),
            )
        )
    with connection.cursor() as sql:
        sql.executemany(
            "INSERT INTO events_event (xid, uid, type, subject, entity_type, entity_id,"
            " org_unit_id, time, data) VALUES (pg_current_xact_id()::text::bigint, %s, %s, %s,"
            " 'position', %s, %s, clock_timestamp(), %s::jsonb)",
            rows,
        )
    return len(rows)
