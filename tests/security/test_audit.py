"""`make audit` (config/audit.py): pip-audit's verdict, read so that an unreachable vulnerability
service is never mistaken for a clean audit. No test here contacts the service."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from config import audit

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: nothing here touches the database."""


def report(*dependencies: dict) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def skipped(name: str) -> dict:
    return {
        "name": name,
        "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)",
    }


def test_every_dependency_unfound_means_the_service_is_unreachable():
    code, lines = audit.verdict(0, report(skipped("django"), skipped("pyjwt")), "")
    assert code == 0
    assert len(lines) == 1
    assert lines[0].startswith("WARNING: the vulnerability service could not be reached")
    assert "none of the 2 dependencies could be audited" in lines[0]


def test_a_network_error_without_a_report_is_a_warning():
    stderr = "requests.exceptions.ConnectionError: Max retries exceeded with url: /pypi/django"
    code, lines = audit.verdict(1, "", stderr)
    assert code == 0
    assert lines[0].startswith("WARNING: the vulnerability service could not be reached")


def test_a_known_vulnerability_fails_with_its_fix():
    vulnerable = {
        "name": "django",
        "version": "5.2.0",
        "vulns": [{"id": "PYSEC-2099-1", "fix_versions": ["5.2.1"], "aliases": []}],
    }
    clean = {"name": "pyjwt", "version": "2.10.0", "vulns": []}
    code, lines = audit.verdict(1, report(vulnerable, clean, skipped("local-pkg")), "")
    assert code == 1
    assert "VULNERABLE: django 5.2.0: PYSEC-2099-1 (fix: 5.2.1)" in lines
    assert lines[-1] == "1 of 3 dependencies are vulnerable."


def test_a_clean_audit_passes_and_names_what_it_could_not_check():
    clean = {"name": "pyjwt", "version": "2.10.0", "vulns": []}
    code, lines = audit.verdict(0, report(clean, skipped("local-pkg")), "")
    assert code == 0
    assert lines[0].startswith("WARNING: not audited: Dependency not found on PyPI")
    assert lines[-1] == "No known vulnerabilities in 1 audited dependencies."


def test_any_other_failure_keeps_pip_audits_exit_code():
    code, lines = audit.verdict(2, "", "error: invalid requirements file")
    assert code == 2
    assert lines == ["pip-audit failed:", "error: invalid requirements file"]


def test_the_command_audits_the_lock_without_pip_or_resolver():
    command = audit.pip_audit_command("requirements.lock")
    assert command[1:5] == ["-m", "pip_audit", "-r", "requirements.lock"]
    assert {"--disable-pip", "--no-deps"} <= set(command)


def test_main_runs_the_real_pip_audit_on_an_empty_lock(tmp_path, capsys):
    """The real pip-audit, on a lock with nothing in it, so nothing is looked up."""
    empty = tmp_path / "empty.lock"
    empty.write_text("")
    assert audit.main([str(empty)]) == 0
    assert "No known vulnerabilities in 0 audited dependencies." in capsys.readouterr().out


def test_main_warns_when_the_service_is_unreachable(monkeypatch, capsys):
    def fake_run(command, **kwargs):
        return subprocess.CompletedProcess(command, 1, "", "requests.exceptions.SSLError: x")

    monkeypatch.setattr(audit.subprocess, "run", fake_run)
    assert audit.main([]) == 0
    assert "WARNING" in capsys.readouterr().out


def test_make_audit_is_its_own_target_and_not_part_of_lint():
    makefile = (BASE_DIR / "Makefile").read_text()
    assert "\naudit: install" in makefile
    assert "$(PY) -m config.audit requirements.lock" in makefile
    lint = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "audit" not in lint
