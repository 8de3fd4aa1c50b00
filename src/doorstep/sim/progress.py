"""A Rich progress bar for a played day: events sent, and where the virtual clock stands."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

ProgressFn = Callable[[int, int | None, datetime], None]


@contextmanager
def progress_bar(title: str, total: int, tz_name: str, *,
                 console: Console | None = None) -> Iterator[ProgressFn]:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("events · [cyan]{task.fields[clock]}"), TimeElapsedColumn())
    with Progress(*columns, console=console or Console(stderr=True), transient=False) as bar:
        task = bar.add_task(title, total=total, clock="--")

        def update(done: int, expected: int | None, now: datetime) -> None:
            # The expected count is an estimate; never let the bar claim more than is known.
            bar.update(task, completed=done, total=max(expected or done, done),
                       clock=now.astimezone(tz).strftime("%a %H:%M %Z"))

        yield update
