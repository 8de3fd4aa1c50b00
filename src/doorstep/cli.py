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
PLATFORMS = ("onfleet", "circuit", "optimoroute")


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
    from sqlalchemy.engine import make_url

    from doorstep.serving import prepare

    settings = settings_from(config_file=config)
    prepare(settings, migrate=True)
    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    err.print(f"database is up to date: {shown}", highlight=False)


@app.command()
def serve(config: ConfigOpt = None, port: PortOpt = None, host: HostOpt = None,
          no_simulator: Annotated[bool, typer.Option("--no-simulator",
                                                     help="Serve without the demo feed.")] = False,
          seed: Annotated[int, typer.Option(help="Demo feed: the simulated day's seed.")] = 7,
          deliveries: Annotated[int, typer.Option(help="Demo feed: deliveries in the day.")] = 1200,
          speed: Annotated[float, typer.Option(help="Demo feed: virtual seconds per real second.")] = 60.0,
          scenario: Annotated[Path | None, typer.Option(help="Demo feed: scenario file.")] = None,
          platform: Annotated[str | None, typer.Option(
              help="Demo feed: play the day as this route platform (onfleet, circuit or "
                   "optimoroute), through its local fake and doorstep's connector.")] = None,
          ) -> None:
    """Web, worker and scheduler in one process (SQLite), with the simulated demo feed."""
    from doorstep.serving import serve as run

    if platform is not None and platform not in PLATFORMS:
        err.print(f"--platform: expected one of {', '.join(PLATFORMS)}, got {platform!r}")
        raise typer.Exit(2)
    settings = settings_from(config_file=config, port=port, host=host)
    feed = None
    if not no_simulator:
        from doorstep.sim.demo import demo_feed

        feed = demo_feed(seed=seed, deliveries=deliveries, speed=speed, scenario=scenario,
                         platform=platform)
    run(settings, embedded_worker=True, feed=feed,
        announce=None if no_simulator else _announce_demo)


def _announce_demo(rt: Any, base_url: str) -> None:
    from doorstep.access.demo import ensure_demo_admin

    email, password, kept = ensure_demo_admin(rt)
    err.print(f"\n  Dashboard  {base_url}/today\n  Log in as  {email}\n  Password   {password}"
              f"   (kept in {kept})\n  API        {base_url}/api/v1/  (tokens: doorstep tokens "
              f"create --role dispatcher)\n", highlight=False, markup=False)


@app.command()
def simulate(
    config: ConfigOpt = None,
    scenario: Annotated[Path | None, typer.Option(help="Scenario file (TOML); default: "
                                                  "scenarios/default.toml's values.")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same day.")] = 7,
    deliveries: Annotated[int, typer.Option(min=1, max=5_000_000, help="Deliveries per day.")] = 2000,
    day: Annotated[str | None, typer.Option("--date", help="Service date (YYYY-MM-DD); default: "
                                            "today in the operator's first market.")] = None,
    days: Annotated[int, typer.Option(min=1, max=366, help="Consecutive days to play.")] = 1,
    speed: Annotated[float | None, typer.Option(min=0.001, help="Virtual seconds per real second "
                                                "(60: an hour a minute).")] = None,
    fastest: Annotated[bool, typer.Option("--as-fast-as-possible",
                                          help="No pacing (the default when --speed is not given).")] = False,
    target: Annotated[str | None, typer.Option(help="Send over HTTP to a running doorstep "
                                               "(e.g. http://127.0.0.1:8000) instead of into the "
                                               "configured database.")] = None,
    platform: Annotated[str | None, typer.Option(
        help="Play the day as this route platform (onfleet, circuit or optimoroute): its local "
             "fake is driven and doorstep hears of it only through that platform's "
             "connector.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Play a simulated operating day into doorstep, with an end-of-day summary."""
    import json
    import threading
    from datetime import date

    from rich.console import Console

    from doorstep.sim.run import Plan
    from doorstep.sim.run import simulate as run
    from doorstep.sim.summary import summary_table

    if speed is not None and fastest:
        err.print("choose --speed or --as-fast-as-possible, not both")
        raise typer.Exit(2)
    try:
        service_date = date.fromisoformat(day) if day else None
    except ValueError:
        err.print(f"--date: expected YYYY-MM-DD, got {day!r}")
        raise typer.Exit(2) from None
    if platform is not None and platform not in PLATFORMS:
        err.print(f"--platform: expected one of {', '.join(PLATFORMS)}, got {platform!r}")
        raise typer.Exit(2)
    if platform and target:
        err.print("choose --platform or --target, not both")
        raise typer.Exit(2)
    settings = settings_from(config_file=config)
    plan = Plan(scenario=scenario, seed=seed, deliveries=deliveries, service_date=service_date,
                days=days, speed=speed or 0.0, target=target, platform=platform)
    stop = threading.Event()
    try:
        figures = run(settings, plan, stop)
    except ConfigError as e:
        err.print(f"doorstep cannot simulate: {e}", highlight=False, markup=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        stop.set()
        raise typer.Exit(130) from None
    if as_json:
        print(json.dumps(figures, indent=2, default=str))
        return
    out = Console()
    out.print(summary_table(figures["simulated"]))
    out.print(f"doorstep recorded: {json.dumps(figures['doorstep'], default=str)}",
              highlight=False, soft_wrap=True)
    out.print(f"{figures['events_sent']:,} events in {figures['wall_seconds']:.1f} s")


@app.command()
def web(config: ConfigOpt = None, port: PortOpt = None, host: HostOpt = None) -> None:
    """The web service alone; jobs go to the queue for `doorstep worker` processes."""
    from doorstep.serving import SchemaNotCurrent
    from doorstep.serving import serve as run

    try:
        run(settings_from(config_file=config, port=port, host=host), embedded_worker=False)
    except SchemaNotCurrent as e:
        err.print(f"doorstep cannot start: {e}", highlight=False, markup=False)
        raise typer.Exit(2) from None


@app.command()
def worker(config: ConfigOpt = None) -> None:
    """A job worker: on Redis when DOORSTEP_REDIS_URL is set, else on the local SQLite queue."""
    from doorstep.serving import SchemaNotCurrent, run_worker

    try:
        run_worker(settings_from(config_file=config))
    except SchemaNotCurrent as e:
        err.print(f"doorstep cannot start: {e}", highlight=False, markup=False)
        raise typer.Exit(2) from None


from doorstep.access.cli import tokens, users  # noqa: E402  (after the commands above, for --help order)
from doorstep.bench.cli import bench  # noqa: E402
from doorstep.connectors.cli import connectors  # noqa: E402
from doorstep.messaging.cli import outbox  # noqa: E402
from doorstep.messaging.mail_cli import mail  # noqa: E402
from doorstep.messaging.replies.cli import replies  # noqa: E402
from doorstep.windows.cli import windows  # noqa: E402

app.add_typer(users, name="users")
app.add_typer(tokens, name="tokens")
app.add_typer(replies, name="replies")
app.add_typer(outbox, name="outbox")
app.add_typer(mail, name="mail")
app.add_typer(connectors, name="connectors")
app.add_typer(windows, name="windows")
app.add_typer(bench, name="bench")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


if __name__ == "__main__":
    app()
