"""`doorstep connectors …`: is each route platform reachable and wired to doorstep; register the
webhooks; sync, poll and make the owed writes by hand (the jobs do it on their own)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from doorstep.config import ConfigError

if TYPE_CHECKING:
    from doorstep.runtime import Runtime

connectors = typer.Typer(help="The route platforms: Onfleet, Circuit for Teams, OptimoRoute.",
                         no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Operator file (TOML).")]
UrlOpt = Annotated[str | None, typer.Option(
    "--url", help="The address the platforms reach doorstep at (default DOORSTEP_PUBLIC_URL).")]


def _runtime(config: Path | None) -> Runtime:
    from doorstep.cli import settings_from
    from doorstep.serving import SchemaNotCurrent, prepare

    try:
        rt = prepare(settings_from(config_file=config), migrate=False)
        if not rt.connectors():
            err.print("no route platform is configured: set DOORSTEP_ONFLEET_API_KEY, "
                      "DOORSTEP_CIRCUIT_API_KEY or DOORSTEP_OPTIMOROUTE_API_KEY")
            raise typer.Exit(2)
    except (ConfigError, SchemaNotCurrent) as e:
        err.print(f"doorstep: {e}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    return rt


@connectors.command("check")
def check(config: ConfigOpt = None, url: UrlOpt = None,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """For each configured platform: does the key work, are doorstep's webhooks registered,
    would the platform message recipients doorstep also messages. Exit 1 if any is not ready."""
    rt = _runtime(config)
    public = url or rt.settings.public_url
    results = [c.check(public) for c in rt.connectors().values()]
    rt.close_connectors()
    if as_json:
        print(json.dumps([r.__dict__ for r in results], indent=2))
    else:
        table = Table("platform", "API key", "webhooks", "warnings")
        for r in results:
            hooks = ("none needed (polled)" if not r.webhooks and not r.missing else
                     f"{len(r.webhooks)} registered" + (f"; missing: {', '.join(r.missing)}"
                                                        if r.missing else ""))
            table.add_row(r.platform, "works" if r.key_works else f"refused: {r.detail}",
                          hooks, "\n".join(r.warnings) or "-")
        out.print(table)
    if not all(r.ok for r in results):
        raise typer.Exit(1)


@connectors.command("register-webhooks")
def register_webhooks(config: ConfigOpt = None, url: UrlOpt = None) -> None:
    """Register doorstep's webhook with each platform that pushes (one per event it maps)."""
    rt = _runtime(config)
    public = url or rt.settings.public_url
    if not public:
        err.print("give --url or set DOORSTEP_PUBLIC_URL: the platforms need an address to call")
        raise typer.Exit(2)
    for name, connector in rt.connectors().items():
        added = connector.register_webhooks(public)
        out.print(f"{name}: {len(added)} added" + (f" ({', '.join(added)})" if added else
                                                   " (all were registered already)"))
    rt.close_connectors()


@connectors.command("sync")
def sync(config: ConfigOpt = None) -> None:
    """Pull in today's and tomorrow's routes, stops, drivers, vehicles and depots now."""
    from doorstep.connectors import jobs

    rt = _runtime(config)
    for name, report in jobs.sync_all(rt).items():
        out.print(f"{name}: read {report.fetched}, {report.stored} new events, "
                  f"{report.duplicates} known, {report.flagged} flagged, "
                  f"{report.requests} requests")
    rt.close_connectors()


@connectors.command("poll")
def poll(config: ConfigOpt = None) -> None:
    """Read the new events of the platforms without push (OptimoRoute) once."""
    from doorstep.connectors import jobs

    rt = _runtime(config)
    for name, report in jobs.poll_all(rt).items():
        out.print(f"{name}: {report.stored} new events, {report.duplicates} known, "
                  f"{report.flagged} flagged")
    rt.close_connectors()


@connectors.command("write")
def write(config: ConfigOpt = None) -> None:
    """Make the writes owed to the platforms that are due now."""
    from doorstep.connectors import jobs

    rt = _runtime(config)
    for name, done in jobs.drain_writes(rt).items():
        out.print(f"{name}: {done} writes made")
    rt.close_connectors()
