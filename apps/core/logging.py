"""Logging helpers: every record carries the id of the request it belongs to."""

import logging

from apps.core import request_id


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to each record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True
