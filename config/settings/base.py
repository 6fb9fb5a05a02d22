"""Settings shared by every environment. The environment is read here, once, through config.env."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import dj_database_url

from config import env
from config.devdb import DATA_DIR, embedded_url_when_stopped, running_url

env.load()

BASE_DIR = env.BASE_DIR

# --- What the environment says (every variable is listed and explained in .env.example) ---------
# Which environment: "production" under config.settings.production unless DJANGO_ENV says so.
_SETTINGS_MODULE = env.get_str("DJANGO_SETTINGS_MODULE", "config.settings.local")
ENVIRONMENT = env.get_str(
    "DJANGO_ENV", "production" if _SETTINGS_MODULE.endswith(".production") else "local"
)
SECRET_KEY = env.get_str("DJANGO_SECRET_KEY")
DEBUG = env.get_bool("DJANGO_DEBUG", default=ENVIRONMENT == "local")
ALLOWED_HOSTS_FROM_ENV = env.get_list("ALLOWED_HOSTS")
ALLOWED_HOSTS = ALLOWED_HOSTS_FROM_ENV or ["127.0.0.1", "localhost"]
SECURE_SSL_REDIRECT = env.get_bool("SECURE_SSL_REDIRECT", default=ENVIRONMENT == "production")
DATABASE_URL = env.get_str("DATABASE_URL")
DATABASE_REPLICA_URL = env.get_str("DATABASE_REPLICA_URL")
DATABASE_POOL_MIN = env.get_int("DATABASE_POOL_MIN", 2)
DATABASE_POOL_MAX = env.get_int("DATABASE_POOL_MAX", 10)
DATABASE_POOL_TIMEOUT = env.get_int("DATABASE_POOL_TIMEOUT", 10)
REDIS_URL = env.get_str("REDIS_URL")
CORS_ALLOWED_ORIGINS = env.get_list("CORS_ALLOWED_ORIGINS", [])
CSRF_TRUSTED_ORIGINS = env.get_list("CSRF_TRUSTED_ORIGINS", CORS_ALLOWED_ORIGINS)
CSRF_COOKIE_DOMAIN_FROM_ENV = env.get_str("CSRF_COOKIE_DOMAIN")
COVERIS_PAGE_SIZE = env.get_int("COVERIS_PAGE_SIZE", 25)
NUM_PROXIES = env.get_int("NUM_PROXIES", 0)
ACCESS_TOKEN_MINUTES = env.get_int("ACCESS_TOKEN_MINUTES", 15)
REFRESH_TOKEN_DAYS = env.get_int("REFRESH_TOKEN_DAYS", 7)
COGNITO_JWKS_URL = env.get_str("COGNITO_JWKS_URL")
COGNITO_ISSUER = env.get_str("COGNITO_ISSUER")
COGNITO_CLIENT_ID = env.get_str("COGNITO_CLIENT_ID")
COGNITO_GROUP_ROLES = env.get_list("COGNITO_GROUP_ROLES", [])
LOG_LEVEL = env.get_str("LOG_LEVEL", "INFO")
LOG_JSON = env.get_bool("LOG_JSON", default=ENVIRONMENT == "production")
MAX_REQUEST_BYTES = env.get_int("MAX_REQUEST_BYTES", 1_048_576)
# The largest file POST imports/ takes (413 above it): 100,000 employees are about 10 MB of CSV.
IMPORT_MAX_BYTES = env.get_int("IMPORT_MAX_BYTES", 50 * 1024 * 1024)
# The largest body any endpoint takes (an import's file and its multipart envelope): what an
# Idempotency-Key may cover.
MAX_UPLOAD_BYTES = IMPORT_MAX_BYTES + 64 * 1024
THROTTLE_ANON_RATE = env.get_str("THROTTLE_ANON_RATE", "100/hour")
THROTTLE_USER_RATE = env.get_str("THROTTLE_USER_RATE", "1000/hour")
LOGIN_FAILURE_LIMIT = env.get_int("LOGIN_FAILURE_LIMIT", 10)
LOGIN_LOCKOUT_MINUTES = env.get_int("LOGIN_LOCKOUT_MINUTES", 15)
BENCH_VIEWS = env.get_bool("BENCH_VIEWS", default=False)
# Coverage and summary results are kept per worker under the coverage data version and
# answered again until any input commits (apps.core.versions); "off" computes every read.
COVERAGE_CACHE = env.get_bool("COVERAGE_CACHE", default=True)
# -------------------------------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "corsheaders",
    "csp",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "django_fsm",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "procrastinate.contrib.django",
    "apps.core",
    "apps.jobs",
    "apps.users",
    "apps.calendars",
    "apps.org",
    "apps.fsm",
    "apps.assignments",
    "apps.business_rules",
    "apps.offer",
    "apps.demand",
    "apps.tags",
    "apps.leave",
    "apps.audit_log",
    "apps.imports",
    "apps.events",
    "apps.demo",
]

MIDDLEWARE = [
    "apps.core.middleware.RequestIdMiddleware",
    # Problem documents under /api/ whatever DEBUG says (bad Host, unhandled errors).
    "apps.core.middleware.ApiProblemMiddleware",
    "apps.core.middleware.DatabaseUnavailableMiddleware",
    # Before CommonMiddleware: a URL without its trailing slash is served, not redirected.
    "apps.core.middleware.OptionalSlashMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Above WhiteNoise, which answers static files itself: they get the CSP and X-Frame-Options
    # headers too.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the URL is settled (OptionalSlashMiddleware): a POST with an Idempotency-Key runs
    # once per user and key, in one transaction with its stored answer (apps/core/idempotency.py).
    "apps.core.idempotency.IdempotencyMiddleware",
    # Last: turns a login that django-axes refused (locked out) into its 429 answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"
# Requests one uvicorn worker runs at once, each on its own thread (config/asgi_handler.py);
# each holds at most one database connection.
ASGI_THREADS = env.get_int("ASGI_THREADS", 1)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
            ],
        },
    },
]


# Every session runs without PostgreSQL's JIT: the reports' plans over generated week and day
# series are estimated far above their real size, and JIT then spends seconds compiling a
# query that runs in milliseconds (measured: 3.7 s of compilation for a 5 ms coverage query).
SESSION_OPTIONS = {"options": "-c jit=off"}


def database_config(url: str) -> dict[str, object]:
    """A Django DATABASES entry for `url`: psycopg 3 with a connection pool, no persistent conns."""
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    config["OPTIONS"] = {
        "pool": {
            "min_size": DATABASE_POOL_MIN,
            "max_size": DATABASE_POOL_MAX,
            "timeout": DATABASE_POOL_TIMEOUT,
        },
        **SESSION_OPTIONS,
    }
    # With a pool, Django checks each connection as it leaves the pool: one broken by a
    # database restart is replaced, not handed to a request.
    config["CONN_HEALTH_CHECKS"] = True
    return config


def _default_database_url() -> str:
    """DATABASE_URL, else the embedded server of `make run` (found through its postmaster.pid).

    When neither is there, commands that need no database (check, makemigrations --check, lint)
    still work; the rest fail to connect to the embedded server's socket, and /readyz says 503.
    """
    if DATABASE_URL:
        return DATABASE_URL
    return running_url(DATA_DIR) or embedded_url_when_stopped(DATA_DIR)


DATABASES = {"default": database_config(_default_database_url())}
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = database_config(DATABASE_REPLICA_URL)
    # The replica mirrors the primary: tests never create a separate test database on it.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "coveris",
            # A Redis that does not answer costs a request half a second, not a worker hung:
            # throttles then fail open and login answers 503 (apps/core/throttling.py).
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "coveris_cache",
            "KEY_PREFIX": "coveris",
        }
    }

AUTH_USER_MODEL = "users.User"
# django-axes first: every login (admin form, auth/login/, auth/token/) is counted and can be
# locked out, per address and per account (apps/users/lockout.py, docs/SECURITY.md).
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]  # either one locks
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_CLIENT_IP_CALLABLE = "apps.users.lockout.client_ip"
AXES_USERNAME_CALLABLE = "apps.users.lockout.username"
AXES_LOCKOUT_CALLABLE = "apps.users.lockout.lockout_response"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # verifies (and upgrades) older hashes
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BYTES

# --- REST framework ------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["apps.users.authentication.CookieJWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["apps.core.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["apps.core.parsers.JSONParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "apps.core.negotiation.ContentNegotiation",
    "DEFAULT_PAGINATION_CLASS": "apps.core.pagination.CoverisPagination",
    "PAGE_SIZE": COVERIS_PAGE_SIZE,
    "DEFAULT_FILTER_BACKENDS": [
        "apps.core.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "apps.core.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.exceptions.problem_exception_handler",
    # Fail open, logged, when the cache is down (apps/core/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": [
        "apps.core.throttling.AnonRateThrottle",
        "apps.core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": THROTTLE_ANON_RATE,
        "user": THROTTLE_USER_RATE,
        "login": "5/hour",
        "refresh": "20/hour",
        "logout": "20/hour",
    },
    "NUM_PROXIES": NUM_PROXIES,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SIMPLE_JWT: dict[str, Any] = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    "SIGNING_KEY": SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
}

# Cookie-JWT: where and how the tokens travel in a browser.
AUTH_COOKIES: dict[str, Any] = {
    "ACCESS": "access_token",
    "REFRESH": "refresh_token",
    "REFRESH_PATH": "/api/v1/auth/",
    "SECURE": False,
    "SAMESITE": "Lax",
}

COGNITO = {
    "JWKS_URL": COGNITO_JWKS_URL,
    "ISSUER": COGNITO_ISSUER,
    "CLIENT_ID": COGNITO_CLIENT_ID,
    # "group=role" pairs; by default a Cognito group named like a role maps to that role.
    "GROUP_ROLES": dict(item.split("=", 1) for item in COGNITO_GROUP_ROLES if "=" in item),
    "JWKS_CACHE_SECONDS": 3600,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Coveris API",
    "DESCRIPTION": (
        "Workforce coverage: week by week, are the hours positions need covered by the hours "
        "employees are assigned? Authenticate with the cookie flow (/api/v1/auth/login/, send "
        "X-CSRFToken on unsafe requests) or a bearer token from /api/v1/auth/token/."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "EmployeeStateEnum": "apps.fsm.states.EmployeeState",
        "AssignmentStateEnum": "apps.fsm.states.AssignmentState",
        "SeverityEnum": "apps.business_rules.models.Severity",
        "AuditActionEnum": "apps.audit_log.models.Action",
        "EntityTypeEnum": "apps.audit_log.models.EntityType",
        "CalendarDayKindEnum": "apps.calendars.models.DayKind",
        "CalendarDaySourceEnum": "apps.calendars.models.DaySource",
        "LeaveStateEnum": "apps.leave.models.LeaveState",
        "LeaveKindEnum": "apps.leave.models.LeaveKind",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.core.schema.add_problem_responses",
    ],
}

# --- Cross-origin SPA, CSRF, CSP ------------------------------------------------------------------
CORS_ALLOW_CREDENTIALS = True
CORS_URLS_REGEX = r"^/api/.*$"
CORS_ALLOW_HEADERS = (
    "accept",
    "authorization",
    "content-type",
    "idempotency-key",
    "if-match",
    "x-csrftoken",
    "x-request-id",
)
CORS_EXPOSE_HEADERS = ("etag", "x-request-id", "content-disposition", "idempotent-replayed")
CSRF_COOKIE_SAMESITE = "Lax"
# An SPA on another host of the same site (app.example.com vs api.example.com) reads the CSRF
# cookie only if it is set for the parent domain (".example.com"); unset: the API's host.
CSRF_COOKIE_DOMAIN = CSRF_COOKIE_DOMAIN_FROM_ENV or None
CSRF_COOKIE_HTTPONLY = False  # the SPA reads it to send X-CSRFToken
SESSION_COOKIE_SAMESITE = "Lax"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {
            # python-json-logger's, writing objects as their type only (no request's repr).
            "()": "apps.core.logging.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if LOG_JSON else "plain",
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Never below these, whatever LOG_LEVEL says: at DEBUG, django.db.backends logs every SQL
    # statement with its parameters (refresh tokens included), and django.template logs the
    # whole context of a failed lookup — for an error report, the failing frames' local
    # variables (a login's password included).
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.template": {"level": "INFO"},
        # The task queue tells at INFO what every command registers at start; a worker's job
        # starts and ends are logged by apps.jobs at INFO.
        "procrastinate": {"level": "WARNING"},
        "procrastinate.worker": {"level": LOG_LEVEL},
    },
}

# --- Task queue (procrastinate, apps/jobs) -----------------------------------------------------
# Every app's tasks.py holds its tasks; the queue's tables are in the application's database.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"
PROCRASTINATE_READONLY_MODELS = True
# A worker silent (no heartbeat) this long is taken for dead, and its running jobs are run again
# by another; the check runs on this schedule (cron, a 6th field is seconds).
JOBS_STALLED_AFTER_SECONDS = env.get_int("JOBS_STALLED_AFTER_SECONDS", 30)
JOBS_STALLED_CHECK_CRON = env.get_str("JOBS_STALLED_CHECK_CRON", "* * * * *")

# --- Events and webhooks (apps/events) ------------------------------------------------------------
# The CloudEvents `source` of every event this installation emits.
EVENTS_SOURCE = env.get_str("EVENTS_SOURCE", "urn:coveris")
# Webhook URLs that resolve to private, loopback or link-local addresses are refused unless this
# is set (tests and development, whose receivers run on 127.0.0.1).
WEBHOOK_ALLOW_PRIVATE = env.get_bool("WEBHOOK_ALLOW_PRIVATE", default=ENVIRONMENT == "local")
# Plain http:// webhook URLs are refused where this is set (by default in production).
WEBHOOK_REQUIRE_HTTPS = env.get_bool("WEBHOOK_REQUIRE_HTTPS", default=ENVIRONMENT == "production")
# The key that encrypts webhook signing secrets at rest (derived from SECRET_KEY when unset).
WEBHOOK_SECRET_KEY = env.get_str("WEBHOOK_SECRET_KEY")
# One HTTP request of a delivery may take this long (connect + answer) before it is cut off.
WEBHOOK_TIMEOUT_SECONDS = float(env.get_str("WEBHOOK_TIMEOUT_SECONDS", "5"))
# A failed delivery is tried again after BASE, 4×BASE, 16×BASE ... (at most 6 h apart) until
# WINDOW after its first attempt, then it is dead; a webhook failing for WINDOW is disabled.
WEBHOOK_RETRY_BASE_SECONDS = float(env.get_str("WEBHOOK_RETRY_BASE_SECONDS", "5"))
WEBHOOK_RETRY_WINDOW_SECONDS = env.get_int("WEBHOOK_RETRY_WINDOW_SECONDS", 24 * 3600)
# Deliveries of one webhook are spread over this many shards by subject: one job at a time
# delivers a shard, in order; different shards and webhooks run in parallel.
WEBHOOK_SHARDS = env.get_int("WEBHOOK_SHARDS", 8)
# Gap events look this many weeks ahead; a unit without its own threshold uses this one.
GAP_EVENT_WEEKS = env.get_int("GAP_EVENT_WEEKS", 12)
GAP_EVENT_THRESHOLD_HOURS = env.get_str("GAP_EVENT_THRESHOLD_HOURS", "1.00")
# The dispatcher's sweep (cron with seconds): events written outside the application are
# fanned out by it; the application's own writes wake the dispatcher at once.
EVENTS_SWEEP_CRON = env.get_str("EVENTS_SWEEP_CRON", "*/10 * * * * *")

# --- Error reporting (optional) -------------------------------------------------------------------
# SENTRY_DSN turns on sentry-sdk, without personal data (config/sentry.py); unset: nothing is sent.
SENTRY_DSN = env.get_str("SENTRY_DSN")
if SENTRY_DSN:
    from config.sentry import init as _init_sentry

    _init_sentry(SENTRY_DSN, environment=ENVIRONMENT)
