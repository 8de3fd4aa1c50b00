"""`doorstep outbox …`: the outbox from the command line."""

from __future__ import annotations

import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console

from doorstep.domain import MessageStatus
from doorstep.messaging import due, sender
from doorstep.messaging.channels.registry import NotConfigured, channels_for
from doorstep.messaging.daytime import Daytime
from doorstep.store.db import Database
from doorstep.store.sql import count_by
from doorstep.store.tables import messages

outbox = typer.Typer(help="The outbox: messages waiting to be sent, and their fate.",
                     no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Operator file (TOML).")]


@outbox.command("drain")
def drain(
    until_empty: Annotated[bool, typer.Option("--until-empty", help="Stop once nothing is "
                                              "queued or being sent.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Send what is due, again and again (Ctrl-C stops it between two messages)."""
    from doorstep.cli import settings_from
    from doorstep.serving import SchemaNotCurrent, prepare

    settings = settings_from(config_file=config)
    try:
        rt = prepare(settings, migrate=False)
        channels = channels_for(settings)
    except (SchemaNotCurrent, NotConfigured) as e:
        err.print(f"doorstep: {e}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stale = timedelta(seconds=settings.outbox_stale_seconds)
    hours = rt.operator.policies.quiet_hours
    daytime = Daytime(hours.start, hours.end)
    sent = 0
    try:
        while not stop.is_set():
            sender.reconcile(rt.db, channels, rt.clock.now, stale)
            handed = sender.send_due(rt.db, channels, rt.clock.now, daytime=daytime,
                                     limiter=rt.limiter)
            sent += handed
            if handed:
                continue
            if until_empty and _pending(rt.db) == 0:
                break
            if not due.wait_for_next(rt.db, rt.clock, stop):
                stop.wait(1.0)  # nothing queued: look again in a second
    except KeyboardInterrupt:
        pass
    finally:
        with rt.db.reading() as s:
            counts = count_by(s, messages.c.status)
        rt.db.dispose()
    err.print(f"handed over {sent} messages; outbox now: "
              + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())), highlight=False)


def _pending(db: Database) -> int:
    with db.reading() as s:
        return int(s.scalar(sa.select(sa.func.count()).select_from(messages).where(
            messages.c.status.in_([MessageStatus.QUEUED, MessageStatus.SENDING]))) or 0)
