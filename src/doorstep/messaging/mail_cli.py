"""`doorstep mail receive`: one email from standard input, for a mail server to pipe to
(Postfix: an alias `replies: "|/path/to/doorstep mail receive"`)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from doorstep.messaging import inbound_email

mail = typer.Typer(help="Email that comes in: replies to what doorstep sent.",
                   no_args_is_help=True)
err = Console(stderr=True, soft_wrap=True)

# Exit codes a mail server understands (sysexits.h): 65 bounces the message, 75 retries later.
EX_DATAERR = 65
EX_TEMPFAIL = 75


@mail.command("receive")
def receive(config: Annotated[Path | None, typer.Option(
        "--config", help="Operator file (TOML).")] = None) -> None:
    """Read one raw email (RFC 5322) on standard input and keep it as a reply."""
    from doorstep.cli import settings_from
    from doorstep.serving import SchemaNotCurrent, prepare

    raw = sys.stdin.buffer.read()
    try:
        rt = prepare(settings_from(config_file=config), migrate=False)
    except SchemaNotCurrent as e:
        err.print(f"doorstep: {e}", highlight=False, markup=False)
        raise typer.Exit(EX_TEMPFAIL) from None
    contact = rt.policies.contact
    try:
        with rt.db.transaction() as s:
            handled = inbound_email.receive(s, raw, rt.clock.now(), contact)
    except inbound_email.NotAnEmail as e:
        err.print(f"doorstep: {e}", highlight=False, markup=False)
        raise typer.Exit(EX_DATAERR) from None
    if handled.events:
        rt.tasks.enqueue_events(handled.events)
    err.print("kept before" if handled.duplicate else f"kept: read as {handled.intent}",
              highlight=False)
    rt.db.dispose()
