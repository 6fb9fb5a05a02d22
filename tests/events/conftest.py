"""Shared helpers of the events tests."""

from __future__ import annotations

import time

from django.db.models import Max

from apps.events import dispatch
from apps.events.models import DispatchCursor, Event


def dispatch_all(timeout: float = 20.0) -> None:
    """Run the dispatcher until every event written so far is behind its cursor. The feed holds
    back events younger than the oldest write transaction open anywhere on the server (another
    test run's, on a shared PostgreSQL): wait for it to end rather than fail."""
    target = Event.objects.aggregate(last=Max("id"))["last"] or 0
    deadline = time.monotonic() + timeout
    while True:
        dispatch.dispatch()
        cursor = DispatchCursor.objects.filter(name=dispatch.CURSOR_NAME).first()
        position = cursor.position if cursor else (0, 0)
        behind = Event.objects.filter(id__lte=target).extra(
            where=["(xid, id) > (%s, %s)"], params=list(position)
        )
        if not behind.exists():
            return
        assert time.monotonic() < deadline, "the event feed stayed held back"
        time.sleep(0.05)
