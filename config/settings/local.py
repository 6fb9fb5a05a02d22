"""Local development: DEBUG on by default, plain logs, everything on 127.0.0.1."""

from .base import *  # noqa: F403
from .base import ENVIRONMENT, SECRET_KEY, SIMPLE_JWT

if not SECRET_KEY:
    # A fixed development key keeps sessions and tokens valid across restarts of `make run`.
    SECRET_KEY = "coveris-local-development-key-not-for-production-use-0123456789"
    SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY

if ENVIRONMENT == "local":
    DEBUG = True

# Serve static files straight from the apps (no collectstatic needed while developing).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
