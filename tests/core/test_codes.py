"""Error codes are one enum (apps.core.codes.ErrorCode), listed in the schema; no raise site
sets a code the enum does not list."""

from __future__ import annotations

import ast
import functools
import importlib
import logging
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from apps.core.codes import ErrorCode
from apps.core.exceptions import UNLISTED_CODE, problem


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Overrides the conftest fixture: only the schema test needs the database."""


APPS = Path(__file__).resolve().parents[2] / "apps"
# Functions that take a problem code positionally: the argument's index.
PROBLEM_BUILDERS = {"problem": 1, "_plain_problem": 2}


def _modules() -> list[tuple[Path, str]]:
    found = []
    for path in sorted(APPS.rglob("*.py")):
        relative = path.relative_to(APPS.parent)
        if "migrations" in relative.parts:
            continue
        found.append((path, ".".join(relative.with_suffix("").parts).removesuffix(".__init__")))
    return found


def _resolve(module: Any, node: ast.expr) -> Any:
    """The object a callee expression names in `module`'s namespace, or None."""
    if isinstance(node, ast.Name):
        return getattr(module, node.id, None)
    if isinstance(node, ast.Attribute):
        owner = _resolve(module, node.value)
        return getattr(owner, node.attr, None) if owner is not None else None
    return None


def _callee_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_not_an_error(callee: Any) -> bool:
    # A model or a service taking a `code` field (OrgUnit(code=...)): not an error code. What
    # cannot be resolved (a name imported inside a function) is checked, to be safe.
    return callee is not None and not (
        isinstance(callee, type) and issubclass(callee, BaseException)
    )


@functools.cache  # the source does not change during a run: one sweep for all the tests
def _code_sites() -> tuple[tuple[str, ast.expr], ...]:
    """(place, expression) of every code an error raised in apps/ is given."""
    sites: list[tuple[str, ast.expr]] = []
    for path, name in _modules():
        module = importlib.import_module(name)
        for node in ast.walk(ast.parse(path.read_text())):
            place = f"{path.relative_to(APPS.parent)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                index = PROBLEM_BUILDERS.get(_callee_name(node.func))
                if index is not None and len(node.args) > index:
                    sites.append((place, node.args[index]))
                for keyword in node.keywords:
                    if keyword.arg == "code" and not _is_not_an_error(_resolve(module, node.func)):
                        sites.append((place, keyword.value))
            elif isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == "default_code"
                        for t in statement.targets
                    ):
                        sites.append((place, statement.value))
    return tuple(sites)


def _literal(expression: ast.expr) -> str | None:
    if isinstance(expression, ast.Constant) and isinstance(expression.value, str):
        return expression.value
    return None


def test_the_sweep_finds_the_raise_sites():
    places = {place.split(":")[0] for place, _ in _code_sites()}
    assert {"apps/core/exceptions.py", "apps/fsm/exceptions.py", "apps/users/views.py"} <= places


def test_every_code_set_in_apps_is_an_error_code():
    unlisted = [
        (place, _literal(expression))
        for place, expression in _code_sites()
        if _literal(expression) is not None and _literal(expression) not in ErrorCode
    ]
    assert unlisted == []


def test_codes_are_set_through_the_enum():
    literals = [
        (place, _literal(expression))
        for place, expression in _code_sites()
        if _literal(expression) is not None
    ]
    assert literals == []
    references = [
        ast.unparse(expression)
        for _, expression in _code_sites()
        if isinstance(expression, ast.Attribute)
        and isinstance(expression.value, ast.Name)
        and expression.value.id == "ErrorCode"
    ]
    assert references, "the sweep reads ErrorCode.<NAME> references"
    assert all(ref.removeprefix("ErrorCode.") in ErrorCode.__members__ for ref in references)


@pytest.mark.django_db
def test_the_schema_lists_every_error_code():
    response = Client().get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    code = response.json()["components"]["schemas"]["Problem"]["properties"]["code"]
    assert code["type"] == "string"
    assert code["enum"] == [member.value for member in ErrorCode]


def test_codes_are_unique_snake_case_values():
    values = [member.value for member in ErrorCode]
    assert len(values) == len(set(values))
    assert all(value.replace("_", "").isalpha() and value.islower() for value in values)
    assert {member.name.lower() for member in ErrorCode} == set(values)


def test_an_unlisted_code_is_logged_and_still_rendered(caplog, unlisted_problem_codes):
    with caplog.at_level(logging.ERROR, logger="apps.core.exceptions"):
        body = problem(400, "planet_not_found", "No such planet.")
    assert body["code"] == "planet_not_found"
    assert body["type"] == "urn:coveris:problem:planet_not_found"
    assert [r.getMessage() for r in caplog.records] == [UNLISTED_CODE % "planet_not_found"]
    unlisted_problem_codes.clear()  # this test's own: not a failure of the suite's guard


def test_a_listed_code_renders_as_a_plain_string(caplog):
    with caplog.at_level(logging.ERROR, logger="apps.core.exceptions"):
        body = problem(409, ErrorCode.TRANSITION_NOT_ALLOWED, "Not from here.")
    assert type(body["code"]) is str
    assert body["code"] == "transition_not_allowed"
    assert body["type"] == "urn:coveris:problem:transition_not_allowed"
    assert caplog.records == []
