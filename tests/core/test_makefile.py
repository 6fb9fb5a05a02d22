"""A fresh machine's shell (issue 16, item 14): the Makefile finds Python 3.13 itself, whatever
PYENV_VERSION a pyenv shim exports, refuses another version with a message that names what to
install, and pins uv."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The shared cache (cleared around every test) is the database cache in the test settings.
pytestmark = pytest.mark.django_db


def make(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-p", "-n", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def chosen_python(result: subprocess.CompletedProcess[str]) -> str:
    match = re.search(r"^PYTHON := (.*)$", result.stdout, re.MULTILINE)
    assert match, result.stderr
    return match.group(1)


def test_python_313_is_found_whatever_pyenv_version_says():
    for version in ("3.12.1", "2.7.18", "no-such-version"):
        result = make("help", PYENV_VERSION=version)
        assert result.returncode == 0, result.stderr
        python = chosen_python(result)
        out = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2])"],
            capture_output=True,
            text=True,
            env={k: v for k, v in os.environ.items() if k != "PYENV_VERSION"},
        )
        assert out.stdout.strip() == "(3, 13)", (version, python)


def test_another_python_is_refused_with_what_to_install():
    result = make("help", PYTHON="/bin/false")
    assert result.returncode != 0
    assert "needs Python 3.13" in result.stderr
    assert "pyenv install 3.13" in result.stderr


def test_uv_is_pinned():
    text = (ROOT / "Makefile").read_text()
    version = re.search(r"^UV_VERSION := (\d+\.\d+\.\d+)$", text, re.MULTILINE)
    assert version, "UV_VERSION is not pinned"
    assert '"uv==$(UV_VERSION)"' in text
