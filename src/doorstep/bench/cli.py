"""`doorstep bench`: benchmarks that print each figure beside a raw limit measured in the same run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.text import Text

bench = typer.Typer(help="Benchmarks: each figure beside the raw limit measured in the same run.",
                    no_args_is_help=True, add_completion=False)


@bench.callback()
def _group() -> None:
    """Benchmarks: each figure beside the raw limit measured in the same run."""


@bench.command()
def ingest(
    requests: Annotated[int, typer.Option(min=1, help="Requests to send to each endpoint.")] = 5000,
    concurrency: Annotated[int, typer.Option(min=1, help="Concurrent keep-alive connections.")] = 16,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Events per request.")] = 1,
    database_url: Annotated[str | None, typer.Option(
        help="Database for both servers (e.g. a PostgreSQL URL; it is migrated). "
             "Default: fresh SQLite files in a temporary directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Stored events/s through the real HTTP intake, beside a bare parse-and-insert endpoint."""
    from doorstep.bench import ingest as bench_ingest

    err = Console(stderr=True)
    try:
        result = bench_ingest.run(requests=requests, concurrency=concurrency, batch=batch,
                                  database_url=database_url, console=err)
    except bench_ingest.BenchError as e:
        err.print(Text("bench ingest failed: ", style="red") + Text(str(e)))
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        bench_ingest.render(result, Console())
    if not result["verified"]:
        raise typer.Exit(1)


@bench.command()
def day(
    deliveries: Annotated[list[int] | None, typer.Option(
        min=1, help="Deliveries in the day; repeat for several sizes.")] = None,
    seed: Annotated[int, typer.Option(help="The simulated day's seed.")] = 7,
    config: Annotated[Path, typer.Option(help="Operator file.")] = Path("doorstep.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Wall time and peak memory of a simulated day (default: 5,000 and 50,000 deliveries)."""
    from doorstep.bench import day as bench_day
    from doorstep.bench.ingest import BenchError

    err = Console(stderr=True)
    try:
        result = bench_day.run(deliveries or [5_000, 50_000], seed, config.resolve(), err)
    except BenchError as e:
        err.print(Text("bench day failed: ", style="red") + Text(str(e)))
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        bench_day.render(result, Console())


@bench.command()
def dashboard(
    deliveries: Annotated[int, typer.Option(min=1, help="Deliveries in the simulated day.")] = 50_000,
    seed: Annotated[int, typer.Option(help="The simulated day's seed (and the ids drawn).")] = 7,
    requests: Annotated[int, typer.Option(min=1, help="Requests to send to each endpoint.")] = 200,
    concurrency: Annotated[int, typer.Option(min=1, help="Concurrent keep-alive connections.")] = 4,
    database_url: Annotated[str | None, typer.Option(
        help="A database already holding the simulated day of 2026-11-24 (nothing is "
             "simulated). Default: a fresh SQLite file in a temporary directory.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """p50/p95/p99 of the Today, detail and API pages on a simulated day, beside /healthz."""
    from doorstep.bench import dashboard as bench_dashboard
    from doorstep.bench.ingest import BenchError

    err = Console(stderr=True)
    try:
        result = bench_dashboard.run(deliveries=deliveries, seed=seed, requests=requests,
                                     concurrency=concurrency, database_url=database_url,
                                     console=err)
    except BenchError as e:
        err.print(Text("bench dashboard failed: ", style="red") + Text(str(e)))
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        bench_dashboard.render(result, Console())
    if not result["ok"]:
        err.print(Text("bench dashboard failed: not every answer was a 200 (endpoints and "
                       "statuses above; failed_endpoints in --json)", style="red"))
        raise typer.Exit(1)



@bench.command()
def replies(
    corpus: Annotated[Path | None, typer.Option(
        help="Folder holding tuned.jsonl and held_out.jsonl. Default: the repository's "
             "tests/data/replies, when doorstep runs from a checkout.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Reply understanding: intent accuracy and opt-out errors (tuned and held-out), replies/s
    beside dateparser.parse."""
    from doorstep.bench import replies as bench_replies

    err = Console(stderr=True)
    folder = corpus or bench_replies.default_corpus()
    if folder is None:
        err.print("bench replies: no corpus found next to the package; pass --corpus DIR",
                  style="red", highlight=False)
        raise typer.Exit(2)
    try:
        result = bench_replies.run(folder)
    except bench_replies.CorpusError as e:
        err.print(Text("bench replies failed: ", style="red") + Text(str(e)))
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        bench_replies.render(result, Console())
    if not result["ok"]:
        err.print(Text("bench replies: an opt-out was missed or invented (above)", style="red"))
        raise typer.Exit(1)

@bench.command()
def windows(
    history: Annotated[Path | None, typer.Option(
        help="Stop-history CSV. Default: a simulated history.")] = None,
    days: Annotated[int, typer.Option(min=2, max=366, help="Simulated days.")] = 7,
    deliveries: Annotated[int, typer.Option(min=1, help="Simulated deliveries per day.")] = 1000,
    seed: Annotated[int, typer.Option(help="The simulated days' seed.")] = 7,
    scenario: Annotated[Path | None, typer.Option(
        help="Scenario file for the simulated history (default: the default scenario).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Arrival windows replayed stop by stop: hit rate, width and updates, beside planned ± 30 min."""
    from doorstep.bench import windows as bench_windows
    from doorstep.config import ConfigError
    from doorstep.windows.history import HistoryError

    try:
        result = bench_windows.run(history, days, deliveries, seed, scenario)
    except (HistoryError, ConfigError, ValueError) as e:
        Console(stderr=True).print(Text("bench windows failed: ", style="red") + Text(str(e)))
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps(bench_windows.as_json(result), indent=2))
    else:
        bench_windows.render(result, Console())


if __name__ == "__main__":
    bench()


@bench.command()
def messages(
    count: Annotated[int, typer.Option("--messages", min=1, help="Messages to queue and drain.")] = 2000,
    renders: Annotated[int, typer.Option(min=1, help="Template renders to time.")] = 20000,
    config: Annotated[Path, typer.Option(help="Operator file.")] = Path("doorstep.toml"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """Messages/s from the outbox to the fake Twilio, and template renders/s, beside raw rates."""
    from doorstep.bench import messages as bench_messages

    result = bench_messages.run(count, renders, config, Console(stderr=True))
    if as_json:
        typer.echo(json.dumps(result, indent=2))
    else:
        bench_messages.render_table(result, Console())
    if result["outbox"]["created_at_provider"] != count:
        raise typer.Exit(1)
