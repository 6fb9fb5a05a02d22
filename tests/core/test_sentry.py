"""Optional error reporting (issue 16, item 16): SENTRY_DSN turns on sentry-sdk with
send_default_pii=False (and no locals, no request bodies); without it nothing is set up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The shared cache (cleared around every test) is the database cache in the test settings.
pytestmark = pytest.mark.django_db

PROBE = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
print(json.dumps({
    "active": client.is_active(),
    "dsn": client.options.get("dsn"),
    "pii": client.options.get("send_default_pii"),
    "locals": client.options.get("include_local_variables"),
    "bodies": client.options.get("max_request_body_size"),
}))
"""


def probe(**env: str) -> dict:
    environment = {k: v for k, v in os.environ.items() if k != "SENTRY_DSN"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.test", **env)
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_a_dsn_turns_on_sentry_without_personal_data():
    seen = probe(SENTRY_DSN="https://public@127.0.0.1:9/1")
    assert seen == {
        "active": True,
        "dsn": "https://public@127.0.0.1:9/1",
        "pii": False,
        "locals": False,
        "bodies": "never",
    }


def test_without_a_dsn_nothing_is_set_up():
    assert probe()["active"] is False
