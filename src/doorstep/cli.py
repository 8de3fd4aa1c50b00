"""The `doorstep` command."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from doorstep.config import ConfigError, Settings, load_settings
from doorstep.logs import setup as setup_logging

app = typer.Typer(help="doorstep: the communication and coordination layer of a last-mile "
                       "delivery operator.", no_args_is_help=True, add_completion=False)
err = Console(stderr=True, soft_wrap=True)  # never fold a path or URL across lines


def settings_from(**overrides: Any) -> Settings:
    try:
        settings = load_settings(**{k: v for k, v in overrides.items() if v is not None})
        _ = settings.operator  # refuse a bad operator file before anything starts
    except ConfigError as e:
        err.print(f"[red]doorstep cannot start:[/red] {e}", highlight=False, markup=True)
        raise typer.Exit(2) from None
    setup_logging(settings.log_level, settings.log_format)
    return settings


ConfigOpt = Annotated[Path | None, typer.Option("--config", help="Operator file (TOML). "
                                                "Default: DOORSTEP_CONFIG_FILE or ./doorstep.toml")]
PortOpt = Annotated[int | None, typer.Option("--port", help="Port to listen on (default 8000).")]
HostOpt = Annotated[str | None, typer.Option("--host", help="Address to listen on (default 127.0.0.1).")]


@app.command()
def migrate(config: ConfigOpt = None) -> None:
    """Create or upgrade the database schema."""
    from doorstep.serving import prepare

    settings = settings_from(config_file=config)
    prepare(settings, migrate=True)
    err.print(f"database is up to date: {settings.database_url}", highlight=False)


@app.command()
def serve(config: ConfigOpt = None, port: PortOpt = None, host: HostOpt = None,
          no_simulator: Annotated[bool, typer.Option("--no-simulator",
                                                     help="Serve without the demo feed.")] = False,
          seed: Annotated[int, typer.Option(help="Demo feed: the simulated day's seed.")] = 7,
          deliveries: Annotated[int, typer.Option(help="Demo feed: deliveries in the day.")] = 1200,
          speed: Annotated[float, typer.Option(help="Demo feed: virtual seconds per real second.")] = 60.0,
          scenario: Annotated[Path | None, typer.Option(help="Demo feed: scenario file.")] = None,
          ) -> None:
    """Web, worker and scheduler in one process (SQLite), with the simulated demo feed."""
    from doorstep.serving import serve as run

    settings = settings_from(config_file=config, port=port, host=host)
    feed = None
    if not no_simulator:
        from doorstep.sim.demo import demo_feed

        feed = demo_feed(seed=seed, deliveries=deliveries, speed=speed, scenario=scenario)
    run(settings, embedded_worker=True, feed=feed)


@app.command()
def web(config: ConfigOpt = None, port: PortOpt = None, host: HostOpt = None) -> None:
    """The web service alone; jobs go to the queue for `doorstep worker` processes."""
    from doorstep.serving import serve as run

    run(settings_from(config_file=config, port=port, host=host), embedded_worker=False)


@app.command()
def worker(config: ConfigOpt = None) -> None:
    """A job worker: on Redis when DOORSTEP_REDIS_URL is set, else on the local SQLite queue."""
    from doorstep.serving import run_worker

    run_worker(settings_from(config_file=config))


from doorstep.bench.cli import bench  # noqa: E402  (after the commands above, for --help order)

app.add_typer(bench, name="bench")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())
