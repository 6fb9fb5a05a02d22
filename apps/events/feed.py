"""The event feed, commit-safe (DESIGN §10).

Events are ordered by (xid, id): the id of the transaction that wrote them, then their own. A
read returns only events of transactions older than the oldest transaction still open
(`pg_snapshot_xmin`): every one of those has ended, and any event that commits later belongs
to a transaction at least that young, so it sorts after everything already returned. A reader
that stores the position of the last event it saw therefore never passes an event that was
still uncommitted when it read. The price: a long transaction holds the feed back until it
ends (docs/ARCHITECTURE.md "Events").
"""

from __future__ import annotations

import re

from django.db.models import QuerySet

from apps.events.models import Event

Position = tuple[int, int]
START: Position = (0, 0)
_CURSOR = re.compile(r"(\d{1,19})\.(\d{1,19})")


def committed(table: str) -> str:
    """SQL: the row of `table` (an event) belongs to a transaction older than every transaction
    still open."""
    return f"{table}.xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"


# Both sides of the condition use the (xid, id) index; xmin is read once per statement.
_AFTER = "(events_event.xid, events_event.id) > (%s, %s) AND " + committed("events_event")


def cursor_of(position: Position) -> str:
    return f"{position[0]}.{position[1]}"


def parse_cursor(text: str) -> Position | None:
    """The position a cursor names, None when it is not one this server hands out."""
    match = _CURSOR.fullmatch(text.strip())
    if match is None:
        return None
    xid, event_id = int(match.group(1)), int(match.group(2))
    if xid > 2**63 - 1 or event_id > 2**63 - 1:
        return None
    return (xid, event_id)


def after(position: Position) -> QuerySet[Event]:
    """The committed events after `position`, in feed order (slice it for a page)."""
    # extra(): a row comparison the ORM cannot spell; both parameters are ints.
    return Event.objects.extra(where=[_AFTER], params=list(position)).order_by("xid", "id")  # noqa: S610


def position_of(event: Event) -> Position:
    return (event.xid, event.pk)
