"""Logging helpers: every record carries the id of the request it belongs to."""

import logging

from apps.core import request_id


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        # django.request logs 4xx responses after the middleware has returned (and the current
        # id is gone), but passes the request along: take the id from there.
        request = getattr(record, "request", None)
        record.request_id = request_id.get() or getattr(request, "request_id", None) or "-"
        return True
