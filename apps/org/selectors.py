"""Reads of the organisation, scoped to the viewer (DESIGN.md section 5, roles)."""

from __future__ import annotations

from typing import Any

from django.db.models import BigIntegerField, QuerySet
from django.db.models.expressions import RawSQL

from apps.org.models import ContractHours, Employee, OrgUnit, Position, WeeklyHours
from apps.org.scope import is_signed_in

# The calendar of a unit or of its nearest ancestor naming one: the ancestor whose path is the
# longest prefix of the unit's (DESIGN.md §8).
INHERITED_CALENDAR_SQL = """(
    SELECT a.calendar_id FROM org_orgunit a
    WHERE a.calendar_id IS NOT NULL AND org_orgunit.path LIKE a.path || '%%'
    ORDER BY length(a.path) DESC LIMIT 1
)"""


def unit_calendars_sql(units: str) -> str:
    """The body of a CTE `(id, calendar_id)`: each unit whose id the subquery `units` yields
    and the calendar it follows (its own, else its nearest ancestor's; NULL: none). The
    ancestors are the ids in the unit's path, so this is one hash join whatever the tree's
    size (also over the records of an earlier instant, which have no index)."""
    return f"""
    SELECT DISTINCT ON (u.id) u.id, a.calendar_id
    FROM org_orgunit u
    CROSS JOIN LATERAL unnest(string_to_array(trim(both '/' from u.path), '/')::bigint[])
        WITH ORDINALITY AS anc(id, depth)
    LEFT JOIN org_orgunit a ON a.id = anc.id AND a.calendar_id IS NOT NULL
    WHERE u.id IN ({units})
    ORDER BY u.id, a.calendar_id IS NULL, anc.depth DESC
    """


def with_effective_calendar(queryset: QuerySet[OrgUnit]) -> QuerySet[OrgUnit]:
    return queryset.annotate(
        # A constant statement, no input in it.
        inherited_calendar_id=RawSQL(INHERITED_CALENDAR_SQL, [], output_field=BigIntegerField())  # noqa: S611
    )


def org_unit_list(*, user: Any) -> QuerySet[OrgUnit]:
    """Org units the user may see, in tree order, with the calendar each follows."""
    return with_effective_calendar(OrgUnit.objects.visible_to(user).order_by("path"))


def org_unit_subtree(*, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """A unit and every unit below it, in one query."""
    return OrgUnit.objects.filter(path__startswith=unit.path).order_by("path")


def position_list(*, user: Any) -> QuerySet[Position]:
    """Positions in org units the user may see."""
    return Position.objects.select_related("org_unit").visible_to(user).order_by("code")


def employee_list(*, user: Any) -> QuerySet[Employee]:
    """Employees the user may see: managers their subtrees, employees only themselves."""
    qs = Employee.objects.select_related("org_unit").visible_to(user)
    if is_signed_in(user) and user.is_employee_role:
        return qs.order_by("id")
    return qs.order_by("last_name", "first_name", "id")


def contract_hours_list(*, employee: Employee) -> QuerySet[ContractHours]:
    """An employee's contract-hours versions, newest `valid_from` first (then latest recorded);
    the caller has looked the employee up in its scope."""
    return ContractHours.objects.filter(employee=employee).order_by(
        "-valid_from", "-recorded_at", "-id"
    )


def weekly_hours_list(*, position: Position) -> QuerySet[WeeklyHours]:
    """A position's weekly-hours versions, newest `valid_from` first (then latest recorded)."""
    return WeeklyHours.objects.filter(position=position).order_by(
        "-valid_from", "-recorded_at", "-id"
    )


def hours_spans_sql(
    *, versions: str, subject: str, subjects: str, start: str, end: str, figure: str
) -> str:
    """SQL (the body of a CTE) of the days each hours version is in force, for the subjects in
    the CTE `subjects` (columns `id`, `start`, `end`, `figure`): rows `(subject_id, hours, s, t)`
    where [s, t] (t NULL: open) is the version's span clipped to the subject's dates.

    For each `valid_from` the latest recorded version wins; a version runs to the day before the
    next one starts (`LEAD`). The first version also covers the days from the subject's start
    to its own `valid_from` (a start moved earlier after the first version was written). A
    subject with no version at all (rows written around the services) counts its figure.
    """
    return f"""
    SELECT v.{subject} AS subject_id, v.hours,
           CASE WHEN v.prev_from IS NULL THEN x.{start}
                ELSE GREATEST(v.valid_from, x.{start}) END AS s,
           LEAST(v.next_from - 1, x.{end}) AS t
    FROM (
        SELECT d.{subject}, d.valid_from, d.hours,
               LEAD(d.valid_from) OVER (PARTITION BY d.{subject} ORDER BY d.valid_from)
                   AS next_from,
               LAG(d.valid_from) OVER (PARTITION BY d.{subject} ORDER BY d.valid_from)
                   AS prev_from
        FROM (
            SELECT DISTINCT ON (c.{subject}, c.valid_from) c.{subject}, c.valid_from, c.hours
            FROM {versions} c JOIN {subjects} x ON x.id = c.{subject}
            ORDER BY c.{subject}, c.valid_from, c.recorded_at DESC, c.id DESC
        ) d
    ) v
    JOIN {subjects} x ON x.id = v.{subject}
    UNION ALL
    SELECT x.id, x.{figure}, x.{start}, x.{end}
    FROM {subjects} x
    WHERE NOT EXISTS (SELECT 1 FROM {versions} c WHERE c.{subject} = x.id)
    """


def may_transition_employee(user: Any, employee: Employee, transition: str) -> bool:
    """HR admins, and managers for employees in their scope (visibility is checked before)."""
    return bool(user and user.is_authenticated and (user.is_admin or user.is_manager))
