"""Tests: the base settings, only faster (cheap hashing, no pool, static files from apps)."""

from .base import *  # noqa: F403
from .base import DATABASES, LOGGING, SECRET_KEY, SESSION_OPTIONS, SIMPLE_JWT

if not SECRET_KEY:
    SECRET_KEY = "coveris-test-key-0123456789-0123456789-0123456789-0123456789"
    SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# pytest-django creates and drops the test database; a pool would hold connections to it.
for _db in DATABASES.values():
    _db["OPTIONS"] = dict(SESSION_OPTIONS)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# The access log line of every test request would only be noise: tests that look at it turn it
# on (caplog.at_level(logging.INFO, logger="coveris.access")).
LOGGING["loggers"]["coveris.access"] = {"level": "WARNING"}  # type: ignore[index]
