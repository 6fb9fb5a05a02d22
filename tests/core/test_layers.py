"""The layers contract (pyproject.toml [tool.importlinter], run by `make lint`) holds the tree as
it is, and breaks on an upward import — also one hidden inside a function — and on an import
between independent siblings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

# The suite's autouse cache reset reaches the database cache.
pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of the code and the contract, to add offending modules to."""
    ignore = shutil.ignore_patterns("__pycache__", "static", "templates")
    for package in ("apps", "config"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_tree_keeps_the_contract(tree: Path) -> None:
    result = lint(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_inside_a_function_breaks_it(tree: Path) -> None:
    (tree / "apps" / "core" / "upward.py").write_text(
        "def employees():\n    from apps.org.models import Employee\n\n    return Employee\n"
    )
    result = lint(tree)
    assert result.returncode != 0
    assert "apps.core is not allowed to import apps.org" in result.stdout
    assert "apps.core.upward -> apps.org.models" in result.stdout


def test_the_supply_side_may_not_import_the_demand_side(tree: Path) -> None:
    (tree / "apps" / "offer" / "sideways.py").write_text("import apps.demand.selectors\n")
    result = lint(tree)
    assert result.returncode != 0
    assert "apps.offer is not allowed to import apps.demand" in result.stdout


def test_the_architecture_doc_names_every_module_of_core() -> None:
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text()
    table = doc.split("### `apps/core`: HTTP plumbing", 1)[1].split("\n## ", 1)[0]
    modules = sorted(
        p.name for p in (ROOT / "apps" / "core").glob("*.py") if p.name not in {"__init__.py"}
    )
    missing = [m for m in modules if f"`{m}`" not in table]
    assert not missing, f"docs/ARCHITECTURE.md's table of apps/core lacks {missing}"
