"""A calendar's exceptions as iCalendar (RFC 5545), out and in, with the `icalendar` package.

Export: one all-day VEVENT per exception, `X-COVERIS-KIND` and `X-COVERIS-HOURS` carrying what
iCalendar has no words for, so an export imports back unchanged. Import: every all-day event
(or timed event, by its date) becomes an exception on each of its days (DTEND exclusive), a
holiday of 0 hours unless the event says otherwise. A malformed file is refused whole (400
naming its line), before anything is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.calendars.models import (
    FIRST_DATE,
    LAST_DATE,
    MAX_DAY_HOURS,
    CalendarDay,
    DayKind,
    DaySource,
    WorkCalendar,
)
from apps.calendars.services import default_hours
from apps.core.capture import attributed
from apps.core.codes import ErrorCode
from apps.core.exceptions import ProblemError
from apps.users.models import User

CONTENT_TYPE = "text/calendar"
MAX_EVENTS = 5000
MAX_DAYS_PER_EVENT = 366
# Exceptions one file may describe in all (ten years of every day), and a calendar may hold:
# an import or export stays a few seconds and a few megabytes.
MAX_DAYS_PER_FILE = 3660
MAX_DAYS_PER_CALENDAR = 20_000
# Properties an event has at most once (a second one is refused, not read as a list).
SINGLE = ("DTSTART", "DTEND", "DURATION", "SUMMARY", "X-COVERIS-KIND", "X-COVERIS-HOURS")
_CONTENT_LINE = re.compile(r"^[A-Za-z0-9-]+(;[^:]*)?:.*$")


def _refuse(line: int | None, message: str) -> ProblemError:
    where = f"line {line}: " if line else ""
    return ProblemError(
        f"The iCalendar file is not valid: {where}{message}",
        code=ErrorCode.INVALID_ICALENDAR,
        line=line,
    )


def export(calendar: WorkCalendar) -> Iterator[bytes]:
    """The calendar as iCalendar, an event at a time (streamed: flat memory)."""
    from icalendar import Calendar, Event

    head = Calendar()
    head.add("prodid", "-//Coveris//Working calendar//EN")
    head.add("version", "2.0")
    head.add("x-wr-calname", calendar.name)
    text = bytes(head.to_ical())
    end = b"END:VCALENDAR\r\n"
    yield text[: -len(end)]
    stamp = timezone.now()
    for day in calendar.days.order_by("date").iterator(chunk_size=2000):
        event = Event()
        event.add("uid", f"{calendar.code}-{day.date.isoformat()}@coveris")
        event.add("dtstamp", stamp)
        event.add("dtstart", day.date)
        event.add("dtend", day.date + dt.timedelta(days=1))  # LAST_DATE keeps this a date
        if day.name:  # no SUMMARY for an unnamed day, so that it imports back unnamed
            event.add("summary", day.name)
        event.add("categories", [day.kind])
        event.add("transp", "TRANSPARENT")
        event.add("x-coveris-kind", day.kind)
        event.add("x-coveris-hours", str(day.hours))
        yield bytes(event.to_ical())
    yield end


def _event_lines(text: str) -> list[int]:
    """Check every content line's shape and the BEGIN/END nesting; the line number of each
    VEVENT's BEGIN, in order."""
    # Lines end at LF (CRLF or LF); other Unicode line breaks are text inside a value.
    lines = text.replace("\r\n", "\n").split("\n")
    if not lines or lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise _refuse(1, "the file starts with BEGIN:VCALENDAR.")
    stack: list[tuple[str, int]] = []
    events: list[int] = []
    for number, raw in enumerate(lines, start=1):
        if raw[:1] in (" ", "\t"):  # a folded continuation of the line above
            continue
        if not raw.strip():
            continue
        if "\x00" in raw:
            raise _refuse(number, "a NUL character.")
        if not _CONTENT_LINE.match(raw):
            raise _refuse(number, f"{raw[:60]!r} is not NAME:value.")
        name, _, value = raw.partition(":")
        name = name.split(";", 1)[0].upper()
        if name == "BEGIN":
            stack.append((value.strip().upper(), number))
            if value.strip().upper() == "VEVENT":
                events.append(number)
        elif name == "END":
            if not stack or stack[-1][0] != value.strip().upper():
                raise _refuse(number, f"END:{value.strip()} closes nothing open.")
            stack.pop()
    if stack:
        component, number = stack[-1]
        raise _refuse(number, f"BEGIN:{component} is never closed.")
    if len(events) > MAX_EVENTS:
        raise _refuse(None, f"at most {MAX_EVENTS} events per file.")
    return events


@dataclass(frozen=True)
class ImportedDay:
    date: dt.date
    kind: str
    hours: Decimal | None
    name: str


def _as_date(value: Any, line: int, what: str) -> dt.date:
    found = getattr(value, "dt", None)
    if isinstance(found, dt.datetime):
        return found.date()
    if isinstance(found, dt.date):
        return found
    raise _refuse(line, f"the event's {what} is not a date.")


def parse(data: bytes) -> list[ImportedDay]:
    """The exceptions an iCalendar file describes, one per date (a 400 naming the line)."""
    from icalendar import Calendar

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _refuse(None, f"not UTF-8 (byte {exc.start}).") from exc
    event_lines = _event_lines(text)
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, IndexError, KeyError) as exc:
        raise _refuse(None, str(exc)[:200]) from exc
    events = list(calendar.walk("VEVENT"))
    days: dict[dt.date, ImportedDay] = {}
    for event, line in zip(events, event_lines, strict=False):
        try:
            for item in _event_days(event, line):
                days[item.date] = item
        except ProblemError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise _refuse(line, f"the event cannot be read ({str(exc)[:120]}).") from exc
        if len(days) > MAX_DAYS_PER_FILE:
            raise _refuse(line, f"a file describes at most {MAX_DAYS_PER_FILE} days.")
    return [days[d] for d in sorted(days)]


def _event_days(event: Any, line: int) -> list[ImportedDay]:
    """The days one VEVENT covers (a ProblemError naming `line` for what is wrong with it)."""
    for name in SINGLE:
        if isinstance(event.get(name), list):
            raise _refuse(line, f"the event has {name} more than once.")
    if event.get("rrule") is not None or event.get("rdate") is not None:
        raise _refuse(line, "recurring events (RRULE, RDATE) are not read: list each date.")
    if event.get("dtstart") is None:
        raise _refuse(line, "the event has no DTSTART.")
    start = _as_date(event.get("dtstart"), line, "DTSTART")
    if event.get("dtend") is not None:
        end = _as_date(event.get("dtend"), line, "DTEND")
    elif event.get("duration") is not None:
        length = event.get("duration").dt
        end = start + dt.timedelta(days=max(1, length.days + (1 if length.seconds else 0)))
    else:
        end = start + dt.timedelta(days=1)
    if end <= start:
        end = start + dt.timedelta(days=1)
    if not (start >= FIRST_DATE and end - dt.timedelta(days=1) <= LAST_DATE):
        raise _refuse(line, f"dates lie between {FIRST_DATE} and {LAST_DATE}.")
    if (end - start).days > MAX_DAYS_PER_EVENT:
        raise _refuse(line, f"an event spans at most {MAX_DAYS_PER_EVENT} days.")
    kind = str(event.get("x-coveris-kind", DayKind.HOLIDAY)).strip().lower()
    if kind not in DayKind.values:
        raise _refuse(line, f"X-COVERIS-KIND {kind!r} is not one of {sorted(DayKind.values)}.")
    hours: Decimal | None = None
    if event.get("x-coveris-hours") is not None:
        raw = str(event.get("x-coveris-hours")).strip()
        try:
            hours = Decimal(raw)
        except InvalidOperation as exc:
            raise _refuse(line, f"X-COVERIS-HOURS {raw!r} is not a number.") from exc
        if not hours.is_finite() or not (Decimal("0") <= hours <= MAX_DAY_HOURS):
            raise _refuse(line, "X-COVERIS-HOURS is between 0 and 24.")
        hours = hours.quantize(Decimal("0.01"))
    name = str(event.get("summary", ""))[:200]
    return [
        ImportedDay(date=start + dt.timedelta(days=n), kind=kind, hours=hours, name=name)
        for n in range((end - start).days)
    ]


@dataclass
class Imported:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


@attributed
@transaction.atomic
def import_days(*, calendar: WorkCalendar, data: bytes, actor: User | None = None) -> Imported:
    """Write the file's exceptions into `calendar`: new dates are added, dates it has already
    are changed to what the file says; all or nothing."""
    parsed = parse(data)
    locked = WorkCalendar.objects.select_for_update().get(pk=calendar.pk)
    existing = {d.date: d for d in CalendarDay.objects.filter(calendar=locked)}
    result = Imported()
    new: list[CalendarDay] = []
    for item in parsed:
        hours = (
            item.hours if item.hours is not None else default_hours(locked, item.date, item.kind)
        )
        day = existing.get(item.date)
        if day is None:
            new.append(
                CalendarDay(
                    calendar=locked,
                    date=item.date,
                    kind=item.kind,
                    hours=hours,
                    name=item.name,
                    source=DaySource.ICS,
                )
            )
        elif (day.kind, day.hours, day.name) != (item.kind, hours, item.name):
            day.kind, day.hours, day.name = item.kind, hours, item.name
            day.source = DaySource.ICS
            day.save(update_fields=["kind", "hours", "name", "source", "updated_at"])
            result.updated += 1
        else:
            result.unchanged += 1
    if len(existing) + len(new) > MAX_DAYS_PER_CALENDAR:
        raise _refuse(None, f"a calendar holds at most {MAX_DAYS_PER_CALENDAR} days.")
    CalendarDay.objects.bulk_create(new)
    result.created = len(new)
    return result
