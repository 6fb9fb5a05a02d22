"""Local development: DEBUG on by default, plain logs, everything on 127.0.0.1."""

from .base import *  # noqa: F403
from .base import ENVIRONMENT, REDIS_URL, SECRET_KEY, SIMPLE_JWT

if not SECRET_KEY:
    # A fixed development key keeps sessions and tokens valid across restarts of `make run`.
    SECRET_KEY = "coveris-local-development-key-not-for-production-use-0123456789"
    SIMPLE_JWT["SIGNING_KEY"] = SECRET_KEY

if ENVIRONMENT == "local":
    DEBUG = True

# Serve static files straight from the apps (no collectstatic needed while developing).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

if not REDIS_URL:
    # Without Redis, the cache (throttle counters, /readyz's probe: nothing else uses it) is each
    # worker's memory, not the base settings' database cache: that one costs every throttled
    # request four more queries and a committed write (an fsync on `make run`'s durable
    # PostgreSQL), which made `make run` serve the employees list at about a third of production's
    # speed (bench/devcost.py, docs/PERFORMANCE.md). The price: with WORKERS=2 each worker counts
    # a client's requests on its own, so a rate is reached at up to twice its number. Set
    # REDIS_URL to try the throttles exactly as production counts them.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "coveris",
            "KEY_PREFIX": "coveris",
        }
    }
