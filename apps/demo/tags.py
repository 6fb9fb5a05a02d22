"""Demo tags for `manage.py seed_demo`: a catalogue of skills, certifications, licences and
languages; required and preferred tags per position (by job title); employee tags with levels,
some expiring soon; every attachment with its hash-chained TagChangeLog rows. Bulk-written;
idempotent (subjects that already have tags are left alone)."""

from __future__ import annotations

import datetime as dt
import functools
import random
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from apps.assignments.models import Assignment
from apps.core.capture import GENESIS
from apps.demo.clock import recorded
from apps.demo.copy import copy_create
from apps.demo.lanes import Lanes, Tally
from apps.org.models import Employee, Position
from apps.tags.models import (
    EmployeeTag,
    PositionTag,
    Requirement,
    SubjectType,
    TagAction,
    TagCatalog,
    TagChangeLog,
)
from apps.tags.services import employee_tag_snapshot, position_tag_snapshot

BATCH = 2000
Progress = Callable[[str], None]

# code, label, category, description, active
CATALOGUE: list[tuple[str, str, str, str, bool]] = [
    (
        "first-aid",
        "First aid",
        "certification",
        "Workplace first aid, renewed every 3 years.",
        True,
    ),
    ("bls", "Basic life support", "certification", "CPR and AED, renewed yearly.", True),
    ("nursing-registration", "Registered nurse", "certification", "Nursing register entry.", True),
    ("food-hygiene", "Food hygiene", "certification", "HACCP food hygiene.", True),
    ("fire-warden", "Fire warden", "certification", "Evacuation and fire response.", True),
    ("iso-9001-auditor", "ISO 9001 internal auditor", "certification", "", True),
    ("driving-b", "Driving licence B", "licence", "Cars and light vans.", True),
    ("driving-c", "Driving licence C", "licence", "Heavy goods vehicles.", True),
    ("forklift", "Forklift licence", "licence", "Counterbalance and reach trucks.", True),
    (
        "electrical-safety",
        "Electrical safety",
        "licence",
        "Work on low-voltage installations.",
        True,
    ),
    ("excel", "Spreadsheets", "skill", "Formulas, pivot tables, charts.", True),
    ("sql", "SQL", "skill", "Querying relational databases.", True),
    ("python", "Python", "skill", "Scripting and data analysis.", True),
    ("project-planning", "Project planning", "skill", "Schedules, dependencies, budgets.", True),
    ("customer-service", "Customer service", "skill", "Front-line customer contact.", True),
    ("team-leadership", "Team leadership", "skill", "Leading a team of 3-15 people.", True),
    ("bookkeeping", "Bookkeeping", "skill", "Double-entry bookkeeping.", True),
    ("cad", "CAD drawing", "skill", "Technical drawings in CAD.", True),
    ("lotus-notes", "Lotus Notes", "skill", "Retired with the old mail system.", False),
    ("lang-en", "English", "language", "Levels 1-5 map to CEFR A2-C2.", True),
    ("lang-de", "German", "language", "Levels 1-5 map to CEFR A2-C2.", True),
    ("lang-fr", "French", "language", "Levels 1-5 map to CEFR A2-C2.", True),
    ("lang-nl", "Dutch", "language", "Levels 1-5 map to CEFR A2-C2.", True),
]
EXPIRING = {"certification", "licence"}

# Job title (the demo positions' first word) -> required and preferred (code, min level).
PROFILES: dict[str, tuple[list[tuple[str, int]], list[tuple[str, int]]]] = {
    "Nurse": ([("nursing-registration", 3), ("bls", 2)], [("lang-en", 3), ("first-aid", 2)]),
    "Technician": ([("electrical-safety", 2)], [("cad", 2), ("driving-b", 1)]),
    "Planner": ([("project-planning", 3)], [("excel", 3)]),
    "Analyst": ([("sql", 3), ("excel", 3)], [("python", 2)]),
    "Coordinator": ([("project-planning", 2)], [("lang-en", 3), ("customer-service", 2)]),
    "Driver": ([("driving-c", 1)], [("first-aid", 1), ("forklift", 1)]),
    "Engineer": ([("cad", 3)], [("python", 2), ("electrical-safety", 2)]),
    "Advisor": ([("customer-service", 3)], [("lang-fr", 2), ("lang-de", 2)]),
    "Clerk": ([("bookkeeping", 2)], [("excel", 2)]),
    "Supervisor": ([("team-leadership", 3), ("first-aid", 2)], [("fire-warden", 1)]),
    "Specialist": ([("iso-9001-auditor", 2)], [("sql", 2)]),
    "Assistant": ([("customer-service", 1)], [("lang-en", 2), ("excel", 1)]),
}
LANGUAGES = ["lang-en", "lang-de", "lang-fr", "lang-nl"]


def _at(day: dt.date, now: dt.datetime) -> dt.datetime:
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9, 30)), dt.UTC)
    return recorded(min(moment, now))


class _Chains:
    """Chain heads per (subject type, subject id), starting from what the database holds."""

    def __init__(self) -> None:
        self.heads: dict[tuple[str, int], str] = {
            (t, s): h
            for t, s, h in TagChangeLog.objects.order_by("subject_type", "subject_id", "-id")
            .distinct("subject_type", "subject_id")
            .values_list("subject_type", "subject_id", "hash")
        }

    def row(self, **fields: Any) -> TagChangeLog:
        row = TagChangeLog(request_id="seed_demo", metadata={}, **fields)
        key = (row.subject_type, row.subject_id)
        row.prev_hash = self.heads.get(key, GENESIS)
        row.hash = row.compute_hash()
        self.heads[key] = row.hash
        return row


def _catalogue(say: Progress) -> dict[str, TagCatalog]:
    existing = set(TagCatalog.objects.values_list("code", flat=True))
    fresh = [
        TagCatalog(code=c, label=lb, category=cat, description=d, active=a)
        for c, lb, cat, d, a in CATALOGUE
        if c not in existing
    ]
    TagCatalog.objects.bulk_create(fresh)
    say(f"  tag catalogue: {len(CATALOGUE)} ({len(fresh)} new)")
    return {t.code: t for t in TagCatalog.objects.all()}


def _profile(title: str) -> str:
    word = title.split(" ", 1)[0]
    return word if word in PROFILES else "Assistant"


def _position_tags(
    tags: dict[str, TagCatalog],
    chains: _Chains,
    actor_id: int | None,
    say: Progress,
    lanes: int,
) -> None:
    now = timezone.now()
    todo = list(Position.objects.filter(tags__isnull=True).values_list("id", "title", "start_date"))
    tally = Tally(say, "  position tags: {rows} new on {done} positions", len(todo))

    def write(positions: list[tuple[int, str, dt.date]]) -> None:
        rows: list[PositionTag] = []
        when: list[dt.datetime] = []  # when each row was (notionally) attached
        for position_id, title, start in positions:
            required, preferred = PROFILES[_profile(title)]
            for kind, needs in (
                (Requirement.REQUIRED, required),
                (Requirement.PREFERRED, preferred),
            ):
                for code, level in needs:
                    rows.append(
                        PositionTag(
                            position_id=position_id,
                            tag=tags[code],
                            requirement=kind,
                            min_level=level,
                        )
                    )
                    when.append(_at(start - dt.timedelta(days=14), now))
        copy_create(PositionTag, rows)
        logs = [
            chains.row(
                subject_type=SubjectType.POSITION,
                subject_id=row.position_id,
                action=TagAction.ADD,
                tag_id=row.tag.pk,
                before=None,
                after=position_tag_snapshot(row, row.tag),
                actor_id=actor_id,
                at=at,
                reason="demo data",
            )
            for row, at in zip(rows, when, strict=True)
        ]
        copy_create(TagChangeLog, logs)
        tally.add(len(positions), len(rows))

    with Lanes(lanes) as pool:
        for n, start in enumerate(range(0, len(todo), BATCH)):
            pool.submit(n, functools.partial(write, todo[start : start + BATCH]))
    if not todo:
        say("  position tags: 0 new on 0 positions")


def _held(
    code: str,
    level: int,
    hire: dt.date,
    today: dt.date,
    rng: random.Random,
    tags: dict[str, TagCatalog],
) -> tuple[int, dt.date, dt.date | None]:
    """A level and a validity period: certificates and licences expire (some soon)."""
    level = max(1, min(5, level))
    if tags[code].category not in EXPIRING:
        return level, hire, None
    valid_from = min(hire, today) - dt.timedelta(days=rng.randint(30, 700))
    if rng.random() < 0.15:  # expiring in the next few weeks: shows up in rules and rankings
        valid_until = today + dt.timedelta(days=rng.randint(7, 70))
    else:
        valid_until = valid_from + dt.timedelta(days=365 * rng.choice([2, 3, 5]))
    return level, valid_from, max(valid_until, valid_from)


def _employee_tags(
    tags: dict[str, TagCatalog],
    chains: _Chains,
    rng: random.Random,
    actor_id: int | None,
    say: Progress,
    lanes: int,
) -> None:
    now = timezone.now()
    today = now.date()
    todo = list(Employee.objects.filter(tags__isnull=True).values_list("id", "hire_date"))
    titles: dict[int, list[str]] = defaultdict(list)
    for employee_id, title in Assignment.objects.filter(employee__tags__isnull=True).values_list(
        "employee_id", "position__title"
    ):
        titles[employee_id].append(title)
    active = [c for c, *_, a in CATALOGUE if a and c in tags]
    tally = Tally(say, "  employee tags: {rows} new on {done}/{total} employees", len(todo))

    def write(employees: int, rows: list[EmployeeTag], raised: dict[int, int]) -> None:
        copy_create(EmployeeTag, rows)
        logs = []
        for index, row in enumerate(rows):
            at = _at(row.valid_from, now)
            after = employee_tag_snapshot(row, row.tag)
            first = dict(after, level=raised[index]) if index in raised else after
            common = {
                "subject_type": SubjectType.EMPLOYEE,
                "subject_id": row.employee_id,
                "tag_id": row.tag.pk,
                "actor_id": actor_id,
            }
            logs.append(
                chains.row(
                    **common,
                    action=TagAction.ADD,
                    before=None,
                    after=first,
                    at=at,
                    reason="demo data",
                )
            )
            if index in raised:
                logs.append(
                    chains.row(
                        **common,
                        action=TagAction.CHANGE,
                        before=first,
                        after=after,
                        at=recorded(min(at + dt.timedelta(days=180), now)),
                        reason="passed the next level's assessment",
                    )
                )
        copy_create(TagChangeLog, logs)
        tally.add(employees, len(rows))

    with Lanes(lanes) as pool:
        for n, start in enumerate(range(0, len(todo), BATCH)):
            rows: list[EmployeeTag] = []
            raised: dict[int, int] = {}  # row index -> the level it was first recorded at
            chunk = todo[start : start + BATCH]
            for employee_id, hire in chunk:
                job = titles.get(employee_id)
                required, preferred = PROFILES[
                    _profile(rng.choice(job) if job else rng.choice(list(PROFILES)))
                ]
                wanted: dict[str, int] = {rng.choice(LANGUAGES): rng.randint(2, 5)}
                for code, level in required:
                    if rng.random() < 0.85:
                        wanted[code] = level + rng.choice([-1, 0, 0, 1, 2])
                for code, level in preferred:
                    if rng.random() < 0.5:
                        wanted[code] = level + rng.choice([-1, 0, 1])
                for code in rng.sample(active, k=rng.randint(0, 2)):
                    wanted.setdefault(code, rng.randint(1, 4))
                for code, level in wanted.items():
                    level, valid_from, valid_until = _held(code, level, hire, today, rng, tags)
                    if level > 1 and tags[code].category == "skill" and rng.random() < 0.1:
                        raised[len(rows)] = level - 1
                    rows.append(
                        EmployeeTag(
                            employee_id=employee_id,
                            tag=tags[code],
                            level=level,
                            valid_from=valid_from,
                            valid_until=valid_until,
                        )
                    )
            # An employee's tag changes are one chain, all in this chunk: any lane will do.
            pool.submit(n, functools.partial(write, len(chunk), rows, raised))
    if not todo:
        say("  employee tags: present (0 new)")


def seed_tags(*, users: dict[str, Any], say: Progress, seed: int = 13, lanes: int = 1) -> None:
    """The catalogue, positions' and employees' tags, with their change log; each chunk of
    subjects with its log rows in a transaction of its own, on `lanes` connections."""
    rng = random.Random(seed + EmployeeTag.objects.count())  # noqa: S311 - demo data
    admin = users.get("admin")
    actor_id = admin.pk if admin else None
    tags = _catalogue(say)
    chains = _Chains()
    _position_tags(tags, chains, actor_id, say, lanes)
    _employee_tags(tags, chains, rng, actor_id, say, lanes)
