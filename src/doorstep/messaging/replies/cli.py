"""`doorstep replies classify`: reply understanding on an operator's own messages.

One reply per input line, one JSON object per output line, in the same order (an empty line
is a reply too, so output lines pair with input lines).
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated, NoReturn
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console

from doorstep.messaging.replies import CONTEXTS, LANGS, classify

replies = typer.Typer(help="Reply understanding: what a text message answers.",
                      no_args_is_help=True, add_completion=False)
err = Console(stderr=True, soft_wrap=True)


@replies.callback()
def _group() -> None:
    """Reply understanding: what a text message answers."""


@replies.command("classify")
def classify_lines(
    context: Annotated[str, typer.Option(
        help=f"The question being answered: {', '.join(CONTEXTS)}.")],
    lang: Annotated[str, typer.Option(help="en, es or auto (a guess per reply).")] = "auto",
    tz: Annotated[str, typer.Option(
        help="The market's time zone, for dates.")] = "America/New_York",
    now: Annotated[str | None, typer.Option(
        help="The time replies are read at, ISO 8601 (a time without offset is in --tz). "
             "Default: now.")] = None,
) -> None:
    """Read one reply per line on stdin; write one JSON object per line:
    {"text", "intent", "slots", "confidence"}."""
    if context not in CONTEXTS:
        _refuse(f"unknown context {context!r}: use one of {', '.join(CONTEXTS)}")
    if lang not in LANGS:
        _refuse(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        _refuse(f"unknown time zone {tz!r}: use an IANA name such as America/New_York")
    at: datetime | None = None
    if now is not None:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            _refuse(f"--now {now!r} is not an ISO 8601 time (e.g. 2026-11-19T15:00)")
        if at.tzinfo is None:
            at = at.replace(tzinfo=zone)
    interactive = sys.stdin.isatty()
    for raw in sys.stdin.buffer:
        text = raw.decode("utf-8", errors="replace").rstrip("\r\n")
        reply = classify(text, context=context, lang=lang, now=at, tz=zone)
        sys.stdout.write(json.dumps(reply.as_dict(), ensure_ascii=False) + "\n")
        if interactive:
            sys.stdout.flush()
    sys.stdout.flush()


def _refuse(message: str) -> NoReturn:
    err.print(f"doorstep replies classify: {message}", highlight=False, markup=False)
    raise typer.Exit(2)
