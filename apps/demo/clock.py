"""The demo's recorded times: its history lies in the past."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

# Rows are recorded at least this long before the seed runs, so that whatever a user does
# right after comes later in every chain and heads the audit stream.
MARGIN = dt.timedelta(minutes=5)


def recorded(at: dt.datetime) -> dt.datetime:
    """`at`, or a moment just before now when `at` lies ahead."""
    return min(at, timezone.now() - MARGIN)
