"""ASGI entry point: `uvicorn config.asgi:application`."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
django.setup(set_prefix=False)

from django.conf import settings  # noqa: E402

from config.asgi_handler import ASGIHandler  # noqa: E402

application = ASGIHandler(threads=settings.ASGI_THREADS)
