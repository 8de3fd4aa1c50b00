"""domain/ and workflows/ stay pure: no database, HTTP or web framework imports (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import doorstep

PKG = Path(doorstep.__file__).parent
FORBIDDEN = {"sqlalchemy", "httpx", "fastapi", "starlette", "huey", "requests", "psycopg",
             "redis", "twilio"}
# The arrival-window model and its rule are decisions too: the live notices and the replay
# (doorstep bench windows) share them.
WINDOWS = ("doorstep.windows.model", "doorstep.windows.policy")
PURE_MODULES = sorted([*(PKG / "domain").glob("*.py"), *(PKG / "workflows").glob("*.py"),
                       PKG / "windows" / "model.py", PKG / "windows" / "policy.py"])


def imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
            if node.module.startswith("doorstep."):
                roots.add(node.module)
    return roots


def test_there_are_pure_modules_to_check():
    assert len(PURE_MODULES) >= 10


@pytest.mark.parametrize("path", PURE_MODULES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_pure_module_imports_no_io(path):
    roots = imported_roots(path)
    assert not roots & FORBIDDEN
    if path.parent.name == "domain":  # the domain imports nothing else of doorstep
        assert not {r for r in roots if r.startswith("doorstep.")
                    and not r.startswith("doorstep.domain")}
    else:
        allowed = ("doorstep.domain", "doorstep.workflows", *WINDOWS)
        assert not {r for r in roots if r.startswith("doorstep.")
                    and not r.startswith(allowed)}
