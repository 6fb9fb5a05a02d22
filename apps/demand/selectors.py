"""Coverage per position and week, and its roll-up per org-unit subtree, computed set-based in
PostgreSQL: one query whatever the number of positions, weeks, requirements or assignments.

Demand on a day is the hours of the coverage requirement covering it, else the position's
weekly hours in force that day (its version, DESIGN.md §7) while it is open; a week's demand
is the sum over its days of rate / 7. Assigned hours are the approved and active assignments,
pro rata the same way (by the employee's calendar, DESIGN.md §8), less what leave takes off.

Leave takes hours off the assignments (DESIGN.md §11). For an employee e and a week w, in hours
as supply (apps.offer.selectors) computes them — by e's home-unit calendar, pro rata:

- A = e's counted (approved + active) assignments' hours that week, over all positions (not
  only the ones the report selects), leaving out the `exclude` assignment;
- S = e's supply that week: contract hours + every ledger entry;
- L = the leave that week: −(the entries of kind `leave` + the corrections reversing one),
  positive when on leave (a hand-written leave entry counts like one a leave request wrote);
- lost = min(max(A − S, 0), max(L, 0), A): the assigned hours leave keeps from being
  delivered. Without leave nothing is lost, however over-committed e is (the no_overcommit
  rule is about that); with leave, assignments deliver at most the supply.

Each of e's assignments delivers its hours × (A − lost) / A that week; a position-week's
`assigned` is what its assignments deliver, and `leave_hours_lost` the rest (hours × lost / A).
`holiday_hours_lost` is what the calendars take off, as before. Only the (employee, week)
pairs with net leave that week, of employees assigned to a selected position, are capped:
elsewhere L ≤ 0, so nothing is lost, and the reports of organisations with little leave do the
same work as before. The share lost / A is carried at 40 decimal places, and the hours it takes
off go into the assigned hours' own sum, so that every figure is still one sum per divisor,
divided and rounded once (apps.calendars.hours).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import reduce
from operator import or_
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import connections
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Length, Replace

from apps.calendars.hours import Span, calendar_ctes, days_off_by_week, divisor_sql
from apps.core import asof
from apps.core.db import read_alias
from apps.core.versions import VersionedResults, freeze
from apps.demand.models import CoverageRequirement
from apps.fsm.states import COUNTED_ASSIGNMENT_STATES
from apps.org.models import OrgUnit, Position
from apps.org.scope import like_patterns, scope_paths
from apps.org.selectors import hours_spans_sql, unit_calendars_sql
from apps.reports.weeks import WEEKS_CTE, week_end, week_label, week_range, week_start
from apps.users.models import User


@dataclass(frozen=True)
class CoverageWeek:
    key: int  # a position id (coverage) or an org-unit id (summary)
    week_start: dt.date
    required: Decimal
    assigned: Decimal
    # Assigned hours not delivered because the employees' calendars take them off (holidays,
    # closures, half days).
    holiday_hours_lost: Decimal = Decimal("0.00")
    # Assigned hours not delivered because the employees are on leave (`assigned` is net of
    # them).
    leave_hours_lost: Decimal = Decimal("0.00")

    @property
    def week(self) -> str:
        return week_label(self.week_start)

    @property
    def gap(self) -> Decimal:
        return self.required - self.assigned

    @property
    def ratio(self) -> Decimal | None:
        if self.required == 0:
            return None
        # Half away from zero, like every other rounding here (PostgreSQL's ROUND).
        return (self.assigned / self.required).quantize(Decimal("0.0001"), ROUND_HALF_UP)


# The figures of a capped employee-week (lw), by the employee's calendar: leave, contract,
# ledger, and every counted assignment of theirs; then one selected assignment's hours (la).
LEAVE = Span("kl", "lv.calendar_id", "lv.start_date", "lv.end_date")
CONTRACT = Span("kc", "lw.calendar_id", "cv.s", "cv.t", "lw.ws")
LEDGER = Span("kg", "lw.calendar_id", "l.start_date", "l.end_date", "lw.ws")
ALL_ASSIGNED = Span("kx", "lw.calendar_id", "x.start_date", "x.end_date", "lw.ws")
CAPPED = Span("kp", "cap.calendar_id", "a0.start_date", "a0.end_date", "cap.ws")
# The scale of the share an assignment delivers: numeric division stops at 16 significant
# digits unless the dividend carries more.
SHARE_SCALE = "numeric(60, 40)"


def spread(name: str, spans: str) -> tuple[str, str]:
    """The CTEs `{name}x` and `{name}f`, and the SELECT (for a UNION ALL) of the rows (key, ws,
    divisor, units, lost) of weekly rates over spans of days, from `spans`: a query of rows
    (key, calendar_id, s, t, rate), the span [s, t] (t NULL: open) by the calendar (NULL:
    none). Summed per (key, ws, divisor), they are the sums of `rate × units` (and × the hours
    the calendar's exceptions take off) over every span and week of the report, as one row per
    span and week would give, in far fewer rows:

    - a week a span covers whole counts `rate × the whole week's units`, the same for every
      span of a (key, calendar): one row per (key, calendar, week) carries the running sum of
      the rates of the spans covering it (a span adds its rate at its first whole week and
      takes it off after its last; a sum holds until the next change), times the week's
      units;
    - the one or two weeks a span covers in part are rows of their own, counted as before.

    Exact: numeric products and sums do not round, and (Σ rate) × units = Σ (rate × units)."""
    whole = Span(
        f"{name}w", f"{name}f.calendar_id", f"{name}f.ws", f"{name}f.ws + 6", f"{name}f.ws"
    )
    part = Span(f"{name}p", f"{name}x.calendar_id", f"{name}x.s", f"{name}x.t", "e.ws")
    return (
        f"""
{name}x AS MATERIALIZED (
    SELECT key, calendar_id, COALESCE(calendar_id, 0) AS cal, s, t, rate,
           (lo - %(first)s::date) / 7 AS i_s, (lo - %(first)s::date + 6) / 7 AS f1,
           (hi - %(first)s::date) / 7 AS i_t, (hi - %(first)s::date + 1) / 7 - 1 AS f2
    FROM (
        SELECT src.*, GREATEST(src.s, %(first)s::date) AS lo,
               LEAST(COALESCE(src.t, %(last)s::date + 6), %(last)s::date + 6) AS hi
        FROM ({spans}) src
    ) c
    WHERE lo <= hi
),
{name}f AS (
    SELECT e.key, NULLIF(e.cal, 0) AS calendar_id, %(first)s::date + 7 * n AS ws, e.rate
    FROM (
        SELECT key, cal, i,
               SUM(rate) OVER (PARTITION BY key, cal ORDER BY i) AS rate,
               LEAD(i) OVER (PARTITION BY key, cal ORDER BY i) AS until
        FROM (
            SELECT key, cal, i, SUM(rate) AS rate
            FROM (
                SELECT key, cal, f1 AS i, rate FROM {name}x WHERE f1 <= f2
                UNION ALL
                SELECT key, cal, f2 + 1, -rate FROM {name}x WHERE f1 <= f2
            ) ev
            GROUP BY key, cal, i
        ) g
    ) e
    -- the weeks from each change to the next, inside the report's (as w numbers them)
    CROSS JOIN LATERAL generate_series(
        e.i, LEAST(COALESCE(e.until, 2147483647), (%(last)s::date - %(first)s::date) / 7 + 1) - 1
    ) AS n
    WHERE e.rate <> 0
)""",
        f"""
        SELECT {name}f.key, {name}f.ws, {divisor_sql(f"{name}n.normal")} AS divisor,
               {name}f.rate * {whole.units()} AS units, {name}f.rate * {whole.lost()} AS lost
        FROM {name}f
        LEFT JOIN kn {name}n ON {name}n.calendar_id = {name}f.calendar_id
        {whole.joins()}
        UNION ALL
        SELECT {name}x.key, e.ws, {divisor_sql(f"{name}n.normal")},
               {name}x.rate * {part.units()}, {name}x.rate * {part.lost()}
        FROM {name}x
        CROSS JOIN LATERAL (
            SELECT %(first)s::date + 7 * {name}x.i_s AS ws WHERE {name}x.i_s < {name}x.f1
            UNION
            SELECT %(first)s::date + 7 * {name}x.i_t WHERE {name}x.i_t > {name}x.f2
        ) e
        JOIN w ON w.ws = e.ws  -- not past the report's last week (`last` need not be a Monday)
        LEFT JOIN kn {name}n ON {name}n.calendar_id = {name}x.calendar_id
        {part.joins()}""",
    )


# Demand as spans: each weekly-hours version over its days of the position being open; each
# requirement's hours over its days; and, taken off, the base each requirement replaces: each
# version's hours on the requirement's days on which that version is in force.
DEMAND_CTES, DEMAND_ROWS = spread(
    "d",
    """SELECT p.key, p.calendar_id, pv.s, pv.t, pv.hours AS rate
        FROM pv JOIN p ON p.id = pv.subject_id
        UNION ALL
        SELECT p.key, p.calendar_id, r.start_date, r.end_date, r.required_hours
        FROM demand_coveragerequirement r JOIN p ON p.id = r.position_id
        UNION ALL
        SELECT p.key, p.calendar_id, GREATEST(r.start_date, pv.s),
               LEAST(r.end_date, COALESCE(pv.t, r.end_date)), -pv.hours
        FROM demand_coveragerequirement r
        JOIN pv ON pv.subject_id = r.position_id
               AND pv.s <= r.end_date AND (pv.t IS NULL OR pv.t >= r.start_date)
        JOIN p ON p.id = r.position_id""",
)
ASSIGNED_CTES, ASSIGNED_ROWS = spread(
    "a",
    "SELECT key, calendar_id, start_date AS s, end_date AS t, weekly_hours AS rate FROM ac",
)


def position_weeks(key: str, *, every_week: bool) -> str:
    """The CTEs ending in `pk`: per key, week and divisor, the required, assigned (delivered),
    holiday-lost and leave-lost hours as exact sums in units of a weekly rate × days (no
    calendar, divisor 7) or × working hours (divisor: the calendar's normal week), to be divided
    once per divisor. The required hours count by the position's calendar (only when it closes
    on holidays), the assigned hours by each assigned employee's calendar, less, per capped
    employee-week, what leave takes off them. `key` is the column of org_position the figures
    are kept per: `p.id` (coverage) or `p.org_unit_id` (the summary, which needs no more).
    `every_week`: a zero row for every position and week (the coverage lists each one, with
    nothing to count or not)."""
    zero_rows = (
        f"""SELECT p.key, w.ws, {divisor_sql("kn.normal")} AS divisor, 0 AS required_u,
           0 AS assigned_u, 0 AS lost_u, 0 AS leave_u
    FROM p CROSS JOIN w LEFT JOIN kn ON kn.calendar_id = p.calendar_id
    UNION ALL"""
        if every_week
        else ""
    )
    return f"""
w AS ({WEEKS_CTE}),
p0 AS (
    SELECT {key} AS key, p.id, p.org_unit_id, p.weekly_hours, p.start_date, p.end_date,
           COALESCE(p.closes_on_holidays, false) AS closes
    FROM org_position p JOIN org_orgunit u ON u.id = p.org_unit_id
    WHERE (%(positions)s::bigint[] IS NULL OR p.id = ANY(%(positions)s::bigint[]))
      AND (%(paths)s::text[] IS NULL OR u.path LIKE ANY(%(paths)s::text[]))
      AND (
          (p.start_date <= %(last)s::date + 6
           AND (p.end_date IS NULL OR p.end_date >= %(first)s::date))
          -- a requirement demands hours on its days even where the position is not open
          OR EXISTS (SELECT 1 FROM demand_coveragerequirement q
                     WHERE q.position_id = p.id AND q.start_date <= %(last)s::date + 6
                       AND q.end_date >= %(first)s::date)
      )
),
-- the counted assignments of those positions, each with its employee's home unit
a0 AS (
    SELECT p0.key, a.employee_id, a.position_id, a.weekly_hours, a.start_date, a.end_date,
           e.org_unit_id
    FROM assignments_assignment a
    JOIN p0 ON p0.id = a.position_id
    JOIN org_employee e ON e.id = a.employee_id
    WHERE a.state = ANY(%(counted)s) AND a.id <> %(exclude)s
      AND a.start_date <= %(last)s::date + 6
      AND (a.end_date IS NULL OR a.end_date >= %(first)s::date)
),
uc AS ({
        unit_calendars_sql(
            "SELECT org_unit_id FROM p0 WHERE closes UNION SELECT org_unit_id FROM a0"
        )
    }),
p AS (
    SELECT p0.*, CASE WHEN p0.closes THEN uc.calendar_id END AS calendar_id
    FROM p0 LEFT JOIN uc ON uc.id = p0.org_unit_id
),
ac AS (SELECT a0.*, uc.calendar_id FROM a0 LEFT JOIN uc ON uc.id = a0.org_unit_id),
{calendar_ctes("SELECT calendar_id FROM uc")},
-- the weekly-hours versions, each over its days of the position being open
pv AS ({
        hours_spans_sql(
            versions="org_weeklyhours",
            subject="position_id",
            subjects="p",
            start="start_date",
            end="end_date",
            figure="weekly_hours",
        )
    }),
{DEMAND_CTES},
-- Leave (DESIGN §11): the leave entries, and the corrections reversing one, of the employees
-- assigned to these positions, inside the weeks asked for, each with the employee's calendar
-- (their home unit's, as for their assignments).
lv AS MATERIALIZED (
    SELECT l.employee_id, l.start_date, l.end_date, l.hours_per_week, uc.calendar_id
    FROM offer_ledgerentry l
    LEFT JOIN offer_ledgerentry o ON o.id = l.reverses_id
    JOIN org_employee e ON e.id = l.employee_id
    LEFT JOIN uc ON uc.id = e.org_unit_id
    WHERE (l.kind = 'leave' OR (l.kind = 'correction' AND o.kind = 'leave'))
      AND l.employee_id IN (SELECT employee_id FROM a0)
      AND l.start_date <= %(last)s::date + 6 AND l.end_date >= %(first)s::date
),
-- the employee-weeks with net leave (L > 0): the only ones capped
lw AS MATERIALIZED (
    SELECT * FROM (
        SELECT lv.employee_id, w.ws, lv.calendar_id,
               -SUM(lv.hours_per_week * {LEAVE.units()}) AS leave_u
        FROM lv JOIN w ON lv.start_date <= w.ws + 6 AND lv.end_date >= w.ws
        {LEAVE.joins()}
        GROUP BY lv.employee_id, w.ws, lv.calendar_id
    ) s
    WHERE leave_u > 0
),
le AS (
    SELECT e.id, e.contract_hours, e.hire_date, e.termination_date
    FROM org_employee e WHERE e.id IN (SELECT employee_id FROM lw)
),
cv AS MATERIALIZED ({
        hours_spans_sql(
            versions="org_contracthours",
            subject="employee_id",
            subjects="le",
            start="hire_date",
            end="termination_date",
            figure="contract_hours",
        )
    }),
-- per capped employee-week, as supply/ counts them: the leave (L), the supply (S: contract and
-- every ledger entry) and the assigned hours over all positions (A); one aggregate, no join
-- between the pieces
lf AS (
    SELECT employee_id, ws, calendar_id, SUM(leave_u) AS leave_u, SUM(supply_u) AS supply_u,
           SUM(assigned_u) AS assigned_u
    FROM (
        SELECT employee_id, ws, calendar_id, leave_u, 0 AS supply_u, 0 AS assigned_u FROM lw
        UNION ALL
        SELECT lw.employee_id, lw.ws, lw.calendar_id, 0, cv.hours * {CONTRACT.units()}, 0
        FROM lw
        JOIN cv ON cv.subject_id = lw.employee_id
               AND cv.s <= lw.ws + 6 AND (cv.t IS NULL OR cv.t >= lw.ws)
        {CONTRACT.joins()}
        UNION ALL
        SELECT lw.employee_id, lw.ws, lw.calendar_id, 0, l.hours_per_week * {LEDGER.units()}, 0
        FROM lw
        JOIN offer_ledgerentry l ON l.employee_id = lw.employee_id
                                AND l.start_date <= lw.ws + 6 AND l.end_date >= lw.ws
        {LEDGER.joins()}
        UNION ALL
        SELECT lw.employee_id, lw.ws, lw.calendar_id, 0, 0,
               x.weekly_hours * {ALL_ASSIGNED.units()}
        FROM lw
        JOIN assignments_assignment x ON x.employee_id = lw.employee_id
             AND x.start_date <= lw.ws + 6 AND (x.end_date IS NULL OR x.end_date >= lw.ws)
        {ALL_ASSIGNED.joins()}
        WHERE x.state = ANY(%(counted)s) AND x.id <> %(exclude)s
    ) f
    GROUP BY employee_id, ws, calendar_id
),
-- lost = min(max(A − S, 0), L, A); each of the employee's assignments loses its hours × lost / A
cap AS (
    SELECT employee_id, ws, calendar_id, lost_u::{SHARE_SCALE} / assigned_u AS share
    FROM (
        SELECT employee_id, ws, calendar_id, assigned_u,
               LEAST(GREATEST(assigned_u - supply_u, 0), leave_u, assigned_u) AS lost_u
        FROM lf
    ) s
    WHERE lost_u > 0
),
la AS (
    SELECT a0.key, cap.ws, {divisor_sql("kn.normal")} AS divisor,
           a0.weekly_hours * {CAPPED.units()} * cap.share AS leave_u
    FROM cap
    JOIN a0 ON a0.employee_id = cap.employee_id
           AND a0.start_date <= cap.ws + 6 AND (a0.end_date IS NULL OR a0.end_date >= cap.ws)
    LEFT JOIN kn ON kn.calendar_id = cap.calendar_id
    {CAPPED.joins()}
),
{ASSIGNED_CTES},
-- demand (the base less what requirements replace, plus the requirements), and the assigned
-- hours less what leave takes off them: rows to sum per divisor
pw AS (
    {zero_rows}
    SELECT key, ws, divisor, units AS required_u, 0 AS assigned_u, 0 AS lost_u, 0 AS leave_u
    FROM ({DEMAND_ROWS}
    ) d
    UNION ALL
    SELECT key, ws, divisor, 0, units, lost, 0
    FROM ({ASSIGNED_ROWS}
    ) a
    UNION ALL
    SELECT key, ws, divisor, 0, -leave_u, 0, leave_u FROM la
),
pk AS (
    SELECT key, ws, divisor, SUM(required_u) AS required_u, SUM(assigned_u) AS assigned_u,
           SUM(lost_u) AS lost_u, SUM(leave_u) AS leave_u
    FROM pw GROUP BY key, ws, divisor
)
"""


COVERAGE_SQL = f"""
WITH {position_weeks("p.id", every_week=True)}
SELECT key, ws,
       ROUND(SUM(required_u / divisor), 2),
       ROUND(SUM(assigned_u / divisor), 2),
       ROUND(SUM(lost_u / divisor), 2),
       ROUND(SUM(leave_u / divisor), 2)
FROM pk GROUP BY key, ws ORDER BY key, ws
"""

# Per target unit, week and divisor first: each divisor divides its exact sum once.
SUMMARY_SQL = f"""
WITH {position_weeks("p.org_unit_id", every_week=False)},
t AS (SELECT id, path FROM org_orgunit WHERE id = ANY(%(targets)s::bigint[])),
-- each target's units (its subtree): targets × units, not position-weeks, meet the LIKE
tu AS (
    SELECT t.id AS target, u.id AS unit
    FROM t JOIN org_orgunit u ON u.path LIKE t.path || '%%'
),
-- per unit (pk), then per target (exact sums: the grouping changes nothing)
tw AS (
    SELECT tu.target, pk.ws, pk.divisor, SUM(pk.required_u) AS required_u,
           SUM(pk.assigned_u) AS assigned_u, SUM(pk.lost_u) AS lost_u, SUM(pk.leave_u) AS leave_u
    FROM pk JOIN tu ON tu.unit = pk.key
    GROUP BY tu.target, pk.ws, pk.divisor
),
g AS (
    SELECT t.id, t.path, w.ws, tw.divisor, tw.required_u, tw.assigned_u, tw.lost_u, tw.leave_u
    FROM t CROSS JOIN w
    LEFT JOIN tw ON tw.target = t.id AND tw.ws = w.ws
)
SELECT id, ws,
       ROUND(COALESCE(SUM(required_u / divisor), 0), 2),
       ROUND(COALESCE(SUM(assigned_u / divisor), 0), 2),
       ROUND(COALESCE(SUM(lost_u / divisor), 0), 2),
       ROUND(COALESCE(SUM(leave_u / divisor), 0), 2)
FROM g
GROUP BY id, path, ws
ORDER BY path, ws
"""


def _params(
    first: dt.date,
    last: dt.date,
    position_ids: list[int] | None,
    unit_paths: list[str] | None,
    exclude_assignment: int | None,
) -> dict[str, Any]:
    return {
        "first": first,
        "last": last,
        "positions": position_ids,
        "paths": like_patterns(unit_paths),
        "counted": list(COUNTED_ASSIGNMENT_STATES),
        "exclude": exclude_assignment or 0,
    }


# Every table the coverage SQL reads: each bumps the `coverage` data version as it commits a
# write (apps/demand/migrations/0005_coverage_version.py; tests/demand/test_result_cache.py
# checks this list against the SQL and the triggers against this list).
COVERAGE_TABLES = (
    "assignments_assignment",
    "calendars_calendarday",
    "calendars_workcalendar",
    "demand_coveragerequirement",
    "offer_ledgerentry",
    "org_contracthours",
    "org_employee",
    "org_orgunit",
    "org_position",
    "org_weeklyhours",
)
# Coverage and summary results, per worker, under the coverage data version (apps.core.versions):
# a repeated read is answered without the SQL until any of COVERAGE_TABLES commits a write.
RESULTS: VersionedResults[CoverageWeek] = VersionedResults(
    "coverage", setting="COVERAGE_CACHE", tables=COVERAGE_TABLES
)


def _fetch(sql: str, params: dict[str, Any], using: str | None) -> list[CoverageWeek]:
    alias = using or read_alias()

    def compute() -> list[CoverageWeek]:
        with connections[alias].cursor() as cursor:
            asof.execute(cursor, sql, params)
            return [
                CoverageWeek(key, ws, Decimal(req), Decimal(asg), Decimal(lost), Decimal(leave))
                for key, ws, req, asg, lost, leave in cursor.fetchall()
            ]

    return RESULTS.get((sql, freeze(params)), compute, using=alias)


def coverage_weeks(
    *,
    first: dt.date,
    last: dt.date,
    position_ids: list[int] | None = None,
    unit_paths: list[str] | None = None,
    exclude_assignment: int | None = None,
    using: str | None = None,
) -> list[CoverageWeek]:
    """Required and assigned (delivered) hours per open position and week (one query)."""
    return _fetch(
        COVERAGE_SQL, _params(first, last, position_ids, unit_paths, exclude_assignment), using
    )


def coverage_summary(
    *,
    first: dt.date,
    last: dt.date,
    targets: list[OrgUnit],
    unit_paths: list[str] | None = None,
    using: str | None = None,
) -> list[CoverageWeek]:
    """Required and assigned hours per target unit (its whole subtree) and week, counting only
    positions inside `unit_paths` (the caller's scope); one query, every target × week.
    Rows come in tree order of the targets."""
    params = _params(first, last, None, unit_paths, None)
    params["targets"] = [t.pk for t in targets]
    return _fetch(SUMMARY_SQL, params, using)


def requirement_list(*, user: User | AnonymousUser) -> QuerySet[CoverageRequirement]:
    """Coverage requirements of positions the user may see."""
    return (
        CoverageRequirement.objects.select_related("position")
        .visible_to(user)
        .order_by("position_id", "start_date", "id")
    )


def summary_targets(
    *, user: User | AnonymousUser, unit: OrgUnit | None, depth: int
) -> list[OrgUnit]:
    """The units to roll up: `unit` (default: the caller's top units) and its descendants down
    to `depth` levels, limited to what the caller may see; each unit once, in tree order, in
    one query whatever the number of units (two without `unit`)."""
    paths = scope_paths(user)
    if unit is not None:
        roots = asof.rows(OrgUnit.objects.filter(pk=unit.pk))
    elif paths is None:
        roots = asof.rows(OrgUnit.objects.filter(parent__isnull=True).order_by("path"))
    else:
        roots = asof.rows(OrgUnit.objects.filter(path__in=paths).order_by("path"))
    if not roots:
        return []
    levels = {root.path: root.path.count("/") for root in roots}
    # No unit deeper than the deepest root plus `depth` can be a target: the database leaves
    # them out (a whole-organisation summary at depth 0 reads its roots, not every unit).
    units = (
        OrgUnit.objects.alias(level=Length("path") - Length(Replace("path", Value("/"))))
        .filter(level__lte=max(levels.values()) + depth)
        .order_by("path")
    )
    if unit is not None or paths is not None:
        units = units.filter(reduce(or_, (Q(path__startswith=p) for p in levels)))
    targets: list[OrgUnit] = []
    for candidate in asof.rows(units):
        # Roots may nest (a scope naming a unit and its parent): depth counts from the nearest.
        prefixes = _ancestor_paths(candidate.path)
        nearest = max(levels[p] for p in prefixes if p in levels)
        if candidate.path.count("/") - nearest <= depth:
            targets.append(candidate)
    return targets


def _ancestor_paths(path: str) -> list[str]:
    """The paths of a unit and its ancestors: /1/4/9/ → /1/, /1/4/, /1/4/9/."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(len(parts))]


@dataclass(frozen=True)
class CoverageReportRow:
    """One position of the coverage report: its weeks in order and its uncovered hours."""

    position: Position
    weeks: list[CoverageWeek]
    uncovered: Decimal  # the sum of the weeks' positive gaps


@dataclass(frozen=True)
class CoverageGap:
    position: Position
    week: CoverageWeek


@dataclass(frozen=True)
class CoverageReport:
    """Coverage of an org-unit subtree for the admin: the positions with the largest uncovered
    hours, the unit's totals per week, and the worst position-weeks."""

    unit: OrgUnit
    weeks: list[dt.date]
    rows: list[CoverageReportRow]
    positions: int  # every position of the subtree with demand or assignments in the range
    totals: list[CoverageWeek]
    worst: list[CoverageGap]
    # {Monday: the names of the unit's calendar's days off that week} (holidays, closures,
    # half days of the calendar the unit follows).
    holidays: dict[dt.date, list[str]] = field(default_factory=dict)

    @property
    def truncated(self) -> bool:
        return len(self.rows) < self.positions


def coverage_report(
    *, unit: OrgUnit, first: dt.date, last: dt.date, rows: int = 60, worst: int = 10
) -> CoverageReport:
    """The coverage report of `unit`'s subtree from `first`'s week to `last`'s week (five
    queries at most: position-weeks, the unit's totals, the positions shown, the unit's
    calendar and its days off)."""
    first, last = week_start(first), week_start(last)
    cells = coverage_weeks(first=first, last=last, unit_paths=[unit.path])
    by_position: dict[int, list[CoverageWeek]] = {}
    for cell in cells:
        by_position.setdefault(cell.key, []).append(cell)
    # Over-staffing in one week does not cover a gap in another: only positive gaps count.
    uncovered = {
        key: sum((max(w.gap, Decimal(0)) for w in weeks), Decimal(0))
        for key, weeks in by_position.items()
    }
    gaps = sorted((c for c in cells if c.gap > 0), key=lambda c: (-c.gap, c.week_start, c.key))
    gaps = gaps[:worst]
    # Largest uncovered hours first; ties by id, so that the page is stable.
    shown = sorted(by_position, key=lambda key: (-uncovered[key], key))[:rows]
    positions = Position.objects.select_related("org_unit").in_bulk(
        {*shown, *(c.key for c in gaps)}
    )
    totals = coverage_summary(first=first, last=last, targets=[unit])
    calendar_id = unit.effective_calendar_id
    holidays = (
        {}
        if calendar_id is None
        else days_off_by_week(calendar_id=calendar_id, first=first, last=week_end(last))
    )
    return CoverageReport(
        unit=unit,
        weeks=week_range(first, last),
        rows=[CoverageReportRow(positions[key], by_position[key], uncovered[key]) for key in shown],
        positions=len(by_position),
        totals=totals,
        worst=[CoverageGap(positions[c.key], c) for c in gaps],
        holidays=holidays,
    )
