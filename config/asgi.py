"""ASGI entry point: `uvicorn config.asgi:application`."""

import os
import sys

import django

# The GIL changes hands every 1 ms rather than 5: a thread computing a report lets the event
# loop (which answers /healthz itself) and the other threads in five times as often. With
# three 260-week CSVs running, /healthz's median went from 18 to 7 ms and the CSVs took as long
# (`make bench-healthz`, docs/PERFORMANCE.md).
sys.setswitchinterval(0.001)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from config.asgi_handler import ASGIHandler  # noqa: E402

application = ASGIHandler(threads=settings.ASGI_THREADS)
