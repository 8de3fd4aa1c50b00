"""Time is injected (DESIGN.md, principle 3): only clock.py reads the system clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import doorstep

PKG = Path(doorstep.__file__).parent
READS = {("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today"), ("date", "today")}


def wall_clock_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if (name, node.func.attr) in READS:
                found.append(f"{path.relative_to(PKG)}:{node.lineno}")
    return found


def test_the_check_finds_a_wall_clock_read() -> None:
    sample = PKG / "clock.py"
    assert wall_clock_reads(sample)  # SystemClock itself


@pytest.mark.parametrize("path", sorted(p for p in PKG.rglob("*.py") if p.name != "clock.py"),
                         ids=lambda p: str(p.relative_to(PKG)))
def test_nothing_but_the_clock_reads_the_system_clock(path: Path) -> None:
    assert wall_clock_reads(path) == []
