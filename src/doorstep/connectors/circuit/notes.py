"""A stop's `notes` (driver-facing, at most 2,000 characters, contracts/circuit.md §7.2) hold
the recipient's instructions and, on lines of their own that start with `[doorstep]`, what
doorstep wrote there (a disposition, a redelivery's marker). Reading the instructions back
leaves those lines out."""

from __future__ import annotations

from typing import Any

MARK = "[doorstep]"
NOTES_MAX = 2000


def ours_of(notes: Any) -> list[str]:
    """The lines doorstep wrote."""
    if not isinstance(notes, str):
        return []
    return [line.strip() for line in notes.splitlines() if line.strip().startswith(MARK)]


def instructions_of(notes: Any) -> str:
    """Everything else: the recipient's (or the dispatcher's) instructions."""
    if not isinstance(notes, str):
        return ""
    return "\n".join(line for line in notes.splitlines()
                     if not line.strip().startswith(MARK)).strip()


def notes_with(text: str, lines: list[str]) -> str:
    """The instructions, then doorstep's lines; the oldest instructions give way when both
    would pass Spoke's limit."""
    tail = "\n".join(lines)
    room = NOTES_MAX - len(tail) - (1 if tail and text else 0)
    text = text.strip()[-room:] if room > 0 else ""
    return "\n".join(part for part in (text, tail) if part)
