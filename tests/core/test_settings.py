"""Settings as an operator meets them: what production refuses and turns on, what defaults hold.

Each check imports the settings in a fresh interpreter with an environment built from scratch, and
with `.env` loading switched off, so neither the test run's nor a developer's `.env` leaks in.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from apps.core.pagination import CoverisPagination

BASE_DIR = Path(__file__).resolve().parents[2]
PROD = "config.settings.production"
LOCAL = "config.settings.local"
TEST = "config.settings.test"

# Runs in the child before anything else: the environment we pass is the whole environment.
NO_DOTENV = "import config.env as _env; _env.load = lambda *args, **kwargs: None\n"

PRINT_SETTINGS = """
import json, sys
import django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


RUN_MANAGE = """
import sys
from django.core.management import execute_from_command_line
execute_from_command_line(["manage.py", *sys.argv[1:]])
"""


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: these tests run the settings in a child process."""


def production_env(**overrides: str | None) -> dict[str, str]:
    """What an operator must set for production, plus `overrides` (None removes a variable)."""
    values: dict[str, str | None] = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "coveris.example.com",
        "DATABASE_URL": "postgres://coveris:secret@db.example.com:5432/coveris",
        **overrides,
    }
    return {name: value for name, value in values.items() if value is not None}


def run_python(
    code: str, module: str, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter with DJANGO_SETTINGS_MODULE=`module` and only `env`."""
    child_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "PYTHONDONTWRITEBYTECODE": "1",
        # Lets coverage measure the child when it measures subprocesses; no setting reads these.
        **{name: value for name, value in os.environ.items() if name.startswith("COVERAGE_")},
        "DJANGO_SETTINGS_MODULE": module,
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", NO_DOTENV + code, *args],
        cwd=BASE_DIR,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def settings_of(module: str, env: dict[str, str], *names: str) -> dict:
    """The values of settings `names` when `module` is imported under `env`."""
    result = run_python(PRINT_SETTINGS, module, env, *names)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Production refuses to start without what it needs ---------------------------------------


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without_a_required_variable(missing):
    result = run_python(RUN_MANAGE, PROD, production_env(**{missing: None}), "check")
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    message = result.stderr.strip().splitlines()[-1]
    assert missing in message
    others = {"DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"} - {missing}
    assert not any(name in message for name in others), message


def test_production_names_every_missing_variable_at_once():
    result = run_python(
        RUN_MANAGE,
        PROD,
        {"DJANGO_ENV": "production", "DJANGO_SECRET_KEY": "", "ALLOWED_HOSTS": " , "},
        "check",
    )
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    for name in ("DJANGO_SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
        assert name in message


@pytest.mark.parametrize("weak_key", ["short", "a" * 80])
def test_production_refuses_a_weak_secret_key(weak_key):
    result = run_python(RUN_MANAGE, PROD, production_env(DJANGO_SECRET_KEY=weak_key), "check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be at least 50 characters" in result.stderr


def test_asgi_entry_point_defaults_to_production_settings():
    code = "import config.asgi\nfrom django.conf import settings\nprint(settings.SETTINGS_MODULE)"
    result = run_python(code, PROD, production_env())
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == PROD


COGNITO_ENV = {
    "COGNITO_JWKS_URL": "https://cognito-idp.eu-west-1.amazonaws.com/pool/.well-known/jwks.json",
    "COGNITO_ISSUER": "https://cognito-idp.eu-west-1.amazonaws.com/pool",
    "COGNITO_CLIENT_ID": "client123",
}


def test_production_refuses_a_partial_cognito_configuration():
    env = production_env(COGNITO_JWKS_URL=COGNITO_ENV["COGNITO_JWKS_URL"])
    result = run_python(RUN_MANAGE, PROD, env, "check")
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "COGNITO_ISSUER" in message
    assert "COGNITO_CLIENT_ID" in message


def test_production_accepts_cognito_tokens_only_when_configured():
    without = settings_of(PROD, production_env(), "REST_FRAMEWORK")["REST_FRAMEWORK"]
    with_cognito = settings_of(PROD, production_env(**COGNITO_ENV), "REST_FRAMEWORK")[
        "REST_FRAMEWORK"
    ]
    cognito = "apps.users.cognito.CognitoJWTAuthentication"
    assert cognito not in without["DEFAULT_AUTHENTICATION_CLASSES"]
    assert with_cognito["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "apps.users.authentication.CookieJWTAuthentication",
        cognito,
    ]


# --- check --deploy -------------------------------------------------------------------------


def test_check_deploy_is_clean_under_production_settings():
    result = run_python(
        RUN_MANAGE, PROD, production_env(), "check", "--deploy", "--fail-level", "WARNING"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stderr


# --- What production turns on ----------------------------------------------------------------


def test_production_cookies_are_secure_httponly_lax():
    values = settings_of(
        PROD,
        production_env(),
        "AUTH_COOKIES",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SAMESITE",
    )
    assert values["AUTH_COOKIES"] == {
        "ACCESS": "access_token",
        "REFRESH": "refresh_token",
        "REFRESH_PATH": "/api/v1/auth/",
        "SECURE": True,
        "SAMESITE": "Lax",
    }
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SAMESITE"] == "Lax"


def test_local_cookies_work_over_plain_http():
    values = settings_of(LOCAL, {}, "AUTH_COOKIES", "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE")
    assert values["AUTH_COOKIES"]["SECURE"] is False
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["CSRF_COOKIE_SECURE"] is False


def test_production_transport_security_and_json_logs():
    values = settings_of(
        PROD,
        production_env(),
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_REDIRECT_EXEMPT",
        "ALLOWED_HOSTS",
        "LOGGING",
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    # Load balancers and container health checks probe over plain HTTP.
    assert set(values["SECURE_REDIRECT_EXEMPT"]) == {"^healthz$", "^readyz$"}
    assert values["ALLOWED_HOSTS"] == ["coveris.example.com"]
    assert values["LOGGING"]["handlers"]["console"]["formatter"] == "json"


def test_production_https_redirect_can_be_switched_off_for_local_http():
    values = settings_of(PROD, production_env(SECURE_SSL_REDIRECT="false"), "SECURE_SSL_REDIRECT")
    assert values["SECURE_SSL_REDIRECT"] is False


def test_production_database_uses_a_pool_and_no_persistent_connections():
    values = settings_of(PROD, production_env(DATABASE_POOL_MAX="30"), "DATABASES")
    default = values["DATABASES"]["default"]
    assert default["ENGINE"] == "django.db.backends.postgresql"
    assert default["HOST"] == "db.example.com"
    assert default["NAME"] == "coveris"
    assert default["CONN_MAX_AGE"] == 0
    pool = default["OPTIONS"]["pool"]
    assert (pool["min_size"], pool["max_size"], pool["timeout"]) == (2, 30, 10)
    assert default["CONN_HEALTH_CHECKS"] is True  # broken pooled connections are replaced
    assert "replica" not in values["DATABASES"]


def test_replica_database_is_configured_only_when_set():
    url = "postgres://reader:secret@replica.example.com:5432/coveris"
    values = settings_of(PROD, production_env(DATABASE_REPLICA_URL=url), "DATABASES")
    assert values["DATABASES"]["replica"]["HOST"] == "replica.example.com"


# --- DEBUG ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "env", "debug"),
    [
        (LOCAL, {}, True),
        (LOCAL, {"DJANGO_ENV": "local"}, True),
        (LOCAL, {"DJANGO_ENV": "staging"}, False),
        (TEST, {}, False),
        (TEST, {"DJANGO_DEBUG": "true"}, False),
        (PROD, production_env(), False),
        (PROD, production_env(DJANGO_DEBUG="true"), False),
        (PROD, production_env(DJANGO_ENV="local", DJANGO_DEBUG="true"), False),
    ],
    ids=[
        "local-default",
        "local-explicit",
        "local-settings-staging-env",
        "test",
        "test-ignores-debug-flag",
        "production",
        "production-ignores-debug-flag",
        "production-ignores-local-env",
    ],
)
def test_debug_is_off_unless_local(module, env, debug):
    assert settings_of(module, env, "DEBUG")["DEBUG"] is debug


# --- Cache: shared by every worker (in production) ----------------------------------------------


def test_cache_is_the_database_without_redis_url():
    caches = settings_of(PROD, production_env(), "CACHES")["CACHES"]
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert caches["default"]["LOCATION"] == "coveris_cache"


def test_local_cache_is_each_workers_memory_without_redis_url():
    """make run without Redis counts throttles in memory: the database cache cost every request
    four queries and a committed write (docs/PERFORMANCE.md, issue 21 item 4)."""
    caches = settings_of(LOCAL, {}, "CACHES")["CACHES"]
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.locmem.LocMemCache"
    assert caches["default"]["KEY_PREFIX"] == "coveris"


def test_local_settings_keep_what_developers_need():
    """Made faster, make run's settings still give tracebacks, static files edited in place
    without collectstatic, and an access log line per request in the terminal."""
    values = settings_of(
        LOCAL, {}, "DEBUG", "WHITENOISE_AUTOREFRESH", "WHITENOISE_USE_FINDERS", "LOGGING"
    )
    assert values["DEBUG"] is True
    assert values["WHITENOISE_AUTOREFRESH"] is True
    assert values["WHITENOISE_USE_FINDERS"] is True
    assert values["LOGGING"]["root"]["level"] == "INFO"
    assert values["LOGGING"]["handlers"]["console"]["formatter"] == "plain"


@pytest.mark.parametrize(("module", "base_env"), [(PROD, production_env()), (LOCAL, {})])
def test_cache_is_redis_with_redis_url(module, base_env):
    env = {**base_env, "REDIS_URL": "redis://cache.example.com:6379/2"}
    caches = settings_of(module, env, "CACHES")["CACHES"]
    assert caches["default"]["BACKEND"] == "django_redis.cache.RedisCache"
    assert caches["default"]["LOCATION"] == "redis://cache.example.com:6379/2"


def test_the_database_cache_table_exists(db):
    from django.core.cache import cache

    cache.set("coveris-probe", 41)
    assert cache.get("coveris-probe") == 41


# --- Pagination -----------------------------------------------------------------------------


def test_pagination_defaults():
    assert settings.REST_FRAMEWORK["DEFAULT_PAGINATION_CLASS"] == (
        "apps.core.pagination.CoverisPagination"
    )
    assert settings.REST_FRAMEWORK["PAGE_SIZE"] == 25
    assert CoverisPagination.page_size == 25
    assert CoverisPagination.page_size_query_param == "page_size"
    assert CoverisPagination.max_page_size == 100


def test_page_size_follows_coveris_page_size():
    code = PRINT_SETTINGS.replace(
        "print(json.dumps(",
        "from apps.core.pagination import CoverisPagination\n"
        "print(CoverisPagination.page_size)\nprint(json.dumps(",
    )
    result = run_python(code, LOCAL, {"COVERIS_PAGE_SIZE": "40"}, "REST_FRAMEWORK")
    assert result.returncode == 0, result.stderr
    page_size_line, settings_line = result.stdout.strip().splitlines()[-2:]
    assert page_size_line == "40"
    assert json.loads(settings_line)["REST_FRAMEWORK"]["PAGE_SIZE"] == 40


def test_bad_value_stops_startup_with_the_variable_named():
    result = run_python(RUN_MANAGE, LOCAL, {"COVERIS_PAGE_SIZE": "lots"}, "check")
    assert result.returncode != 0
    assert "COVERIS_PAGE_SIZE must be an integer, not 'lots'" in result.stderr


# --- The environment is documented -----------------------------------------------------------


def test_env_example_documents_every_variable_the_settings_read():
    base = (BASE_DIR / "config" / "settings" / "base.py").read_text()
    read = set(re.findall(r"env\.get_\w+\(\s*\"([A-Z0-9_]+)\"", base))
    assert len(read) > 10
    example = (BASE_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, flags=re.MULTILINE))
    assert read - documented == set()
