"""The API contract is a file (issue 16, item 15): docs/openapi.yaml is exactly the schema
/api/v1/schema/ serves, `make schema` writes it (the same bytes in any process), and a report's
CSV does not blur the types a client generates from it: application/json keeps the real schema,
text/csv is a string, and a plain list answers JSON only."""

from __future__ import annotations

import difflib
import functools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_FILE = ROOT / "docs" / "openapi.yaml"
DIFF_LINES = 40

# The shared cache (cleared around every test) is the database cache in the test settings.
pytestmark = pytest.mark.django_db


def served_schema() -> str:
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    return response.content.decode()


def short_diff(committed: str, served: str) -> str:
    lines = list(
        difflib.unified_diff(
            committed.splitlines(),
            served.splitlines(),
            "docs/openapi.yaml (committed)",
            "/api/v1/schema/ (served)",
            lineterm="",
            n=2,
        )
    )
    more = len(lines) - DIFF_LINES
    return "\n".join(lines[:DIFF_LINES]) + (f"\n... and {more} more lines" if more > 0 else "")


def test_committed_schema_is_the_served_schema():
    committed = SCHEMA_FILE.read_text() if SCHEMA_FILE.exists() else ""
    served = served_schema()
    if committed != served:
        pytest.fail(
            "docs/openapi.yaml is not the schema /api/v1/schema/ serves: run `make schema` and "
            f"commit docs/openapi.yaml.\n{short_diff(committed, served)}",
            pytrace=False,
        )


def test_make_schema_writes_the_served_schema_in_any_process(tmp_path: Path):
    """What `make schema` runs, in a fresh process with another hash seed and the bench routes
    asked for, writes the served bytes: generation is deterministic and nothing leaks in."""
    out = tmp_path / "openapi.yaml"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PYTHONHASHSEED": "12345",
        "BENCH_VIEWS": "true",
    }
    command = [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"]
    result = subprocess.run(
        [*command, "--file", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-2000:]
    served = served_schema()
    assert out.read_text() == served, short_diff(out.read_text(), served)
    assert "/bench/" not in served


def test_make_schema_is_the_command_above():
    makefile = (ROOT / "Makefile").read_text()
    assert "schema: install ## " in makefile
    assert "DJANGO_SETTINGS_MODULE=config.settings.test BENCH_VIEWS=false" in makefile
    assert "spectacular \\\n\t\t--validate --fail-on-warn --file $(SCHEMA_FILE)" in makefile
    assert "SCHEMA_FILE := docs/openapi.yaml" in makefile


# --- CSV is text, JSON is the schema ---------------------------------------------------------


@functools.cache
def _schema() -> dict[str, Any]:
    """The served schema, parsed: fetched by the first test that asks, then shared (the tests
    below only read it; the two above fetch their own)."""
    return yaml.safe_load(served_schema())


def _ok_content(schema: dict[str, Any], path: str) -> dict[str, Any]:
    return schema["paths"][path]["get"]["responses"]["200"]["content"]


def test_a_plain_list_answers_json_only():
    schema = _schema()
    for path, component in (
        ("/api/v1/users/", "PaginatedUserList"),
        ("/api/v1/business-rules/", "PaginatedBusinessRuleList"),
    ):
        content = _ok_content(schema, path)
        assert set(content) == {"application/json"}, (path, set(content))
        assert content["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{component}"
        }
        envelope = schema["components"]["schemas"][component]
        assert envelope["type"] == "object"
        assert envelope["properties"]["results"]["type"] == "array"


def test_an_importable_list_is_the_json_envelope_or_its_import_csv():
    """A list whose resource can be imported also answers ?format=csv (apps/imports/exports.py):
    the envelope as JSON, the rows unpaginated as text."""
    schema = _schema()
    for path, component in (
        ("/api/v1/employees/", "PaginatedEmployeeList"),
        ("/api/v1/positions/", "PaginatedPositionList"),
    ):
        content = _ok_content(schema, path)
        assert set(content) == {"application/json", "text/csv"}, (path, set(content))
        assert content["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{component}"
        }
        assert content["text/csv"]["schema"]["type"] == "string"


@pytest.mark.parametrize(
    ("path", "component"),
    [
        ("/api/v1/coverage/summary/", "PaginatedSummaryRowList"),
        ("/api/v1/coverage/", "PaginatedCoverageRowList"),
        ("/api/v1/supply/", "PaginatedSupplyRowList"),
    ],
)
def test_a_csv_report_is_the_json_envelope_or_text(path: str, component: str):
    schema = _schema()
    content = _ok_content(schema, path)
    assert set(content) == {"application/json", "text/csv"}
    assert content["application/json"]["schema"] == {"$ref": f"#/components/schemas/{component}"}
    assert schema["components"]["schemas"][component]["type"] == "object"
    assert content["text/csv"]["schema"]["type"] == "string"
    assert "$ref" not in content["text/csv"]["schema"]
    formats = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "format"]
    assert formats
    assert formats[0]["schema"]["enum"] == ["csv", "json"]


def test_the_audit_log_export_is_text():
    content = _ok_content(_schema(), "/api/v1/audit-log/export/")
    assert set(content) == {"text/csv"}
    assert content["text/csv"]["schema"]["type"] == "string"


def test_no_body_but_json_is_described_with_a_json_schema():
    """Anywhere in the contract: a JSON media type (application/json, application/problem+json)
    or a string, never an object schema under text/csv for a typed client to mistake."""
    found = []
    for path, operations in _schema()["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                for media_type, body in response.get("content", {}).items():
                    if media_type.endswith("json"):
                        continue
                    found.append(media_type)
                    assert body["schema"].get("type") == "string", (path, method, status)
    assert "text/csv" in found


# --- make client -------------------------------------------------------------------------------


def test_make_client_says_npm_is_missing(tmp_path: Path):
    """Without npm on PATH, `make client` stops at once with what to install."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("make", "env", "sh", "bash", "cut", "grep"):
        found = shutil.which(tool)
        assert found, tool
        (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        ["make", "--no-print-directory", "client", f"PYTHON={sys.executable}"],
        cwd=ROOT,
        env={"PATH": str(bin_dir), "HOME": os.environ.get("HOME", "/")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "make client needs Node.js 20+ with npm" in result.stderr


def test_client_lock_names_no_host_and_pins_exact_versions():
    client = ROOT / "clients" / "typescript"
    lock = (client / "package-lock.json").read_text()
    assert "://" not in lock
    assert '"resolved"' not in lock
    assert "omit-lockfile-registry-resolved=true" in (client / ".npmrc").read_text()
    package = json.loads((client / "package.json").read_text())
    pins = package["devDependencies"]
    assert set(pins) >= {"openapi-typescript", "typescript", "openapi-fetch"}
    for name, version in pins.items():
        assert all(part.isdigit() for part in version.split(".")), (name, version)
    assert "src/schema.d.ts" in (client / ".gitignore").read_text()
