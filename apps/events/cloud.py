"""Events as CloudEvents 1.0 (the `cloudevents` package's model and JSON format)."""

from __future__ import annotations

import json
from typing import Any

from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from django.conf import settings

from apps.events.models import Event

CONTENT_TYPE = JSONFormat.CONTENT_TYPE  # application/cloudevents+json
_FORMAT = JSONFormat()


def cloudevent(event: Event) -> CloudEvent:
    return CloudEvent(
        attributes={
            "id": event.uid,
            "source": settings.EVENTS_SOURCE,
            "type": event.type,
            "subject": event.subject,
            "time": event.time,
            "datacontenttype": "application/json",
        },
        data=event.data,
    )


def body(event: Event) -> bytes:
    """The event in CloudEvents' structured JSON mode, as a webhook delivers it."""
    return _FORMAT.write(cloudevent(event))


def as_dict(event: Event) -> dict[str, Any]:
    """The event as the feed lists it (the same JSON object a webhook receives)."""
    result: dict[str, Any] = json.loads(body(event))
    return result
