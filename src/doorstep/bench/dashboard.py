"""`doorstep bench dashboard`: how fast the pages and the JSON API answer on a simulated day.

1. A day of N deliveries is simulated into a fresh SQLite file, exactly as `bench day` does it
   (`doorstep simulate --as-fast-as-possible` in a child process), unless `--database-url` names
   a database that already holds a simulated day of DAY.
2. `doorstep web` serves that database in its own process (one uvicorn process, as deployed).
3. People and machines are made directly in the store: an admin and a shipper (sessions), a
   dispatcher and a shipper (API tokens), so that both the operator's view and the
   shipper-scoped view are measured. On a database that was given, they are removed afterwards.
4. Threads of this process (a process other than the server's), each with one keep-alive httpx
   client, send `--requests` GETs per endpoint after a few untimed warm-ups; every answer must
   be a 200. The API lists walk their pages by `next_cursor`, as a client syncing a day would.
5. The raw limit, measured the same run and the same way: `/healthz` of the same server (no
   table touched), and `SELECT count(*) FROM deliveries` timed from this process.

The pages show "today" by the wall clock in each market's zone; the simulated day is DAY, so the
market pages are asked for `?date=DAY`. The all-markets page has no date parameter: it is
measured on the wall clock's today, whatever that day holds in the database (the output says
whether that is DAY).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from doorstep.access.users import UserError
from doorstep.bench.dashboard_day import (
    DAY,
    MARKET,
    NOT_AVAILABLE,
    PAGE_LIMIT,
    SHIPPER,
    TIMEOUT,
    WARMUP,
    Credentials,
    DayFacts,
    day_facts,
    make_credentials,
    raw_count,
    remove_credentials,
    simulate_day,
    simulate_env,
)
from doorstep.bench.dashboard_load import (
    Endpoint,
    by_id,
    fixed,
    measure,
    requested,
)
from doorstep.bench.ingest import (
    BenchError,
    doorstep_command,
    free_port,
    server,
    sqlalchemy_url,
    tail,
)

# --- the simulated day --------------------------------------------------------------------------

def endpoints(creds: Credentials, facts: DayFacts) -> list[Endpoint]:
    day = DAY.isoformat()
    admin = {"cookies": {"doorstep_session": creds.admin_cookie}}
    shipper = {"cookies": {"doorstep_session": creds.shipper_cookie}}
    dispatcher_api = {"headers": {"Authorization": f"Bearer {creds.dispatcher_token}"}}
    shipper_api = {"headers": {"Authorization": f"Bearer {creds.shipper_token}"}}
    listing = f"/api/v1/deliveries?market={MARKET}&date={day}&limit={PAGE_LIMIT}"
    return [
        Endpoint("healthz", "/healthz  (floor)", "-", {}, fixed("/healthz")),
        Endpoint("today_market", f"/today/{MARKET}", "admin", admin,
                 fixed(f"/today/{MARKET}?date={day}")),
        Endpoint("today_all", "/today  (all markets)", "admin", admin, fixed("/today")),
        Endpoint("today_market_live", f"/today/{MARKET}/live", "admin", admin,
                 fixed(f"/today/{MARKET}/live?date={day}")),
        Endpoint("today_market_shipper", f"/today/{MARKET}", "shipper", shipper,
                 fixed(f"/today/{MARKET}?date={day}")),
        Endpoint("delivery_page", "/deliveries/{id}", "admin", admin,
                 by_id("/deliveries/{}", facts.delivery_ids)),
        Endpoint("route_page", "/routes/{id}", "admin", admin,
                 by_id("/routes/{}", facts.route_ids)),
        Endpoint("api_deliveries", "/api/v1/deliveries", "dispatcher", dispatcher_api,
                 walk=listing, api=True),
        Endpoint("api_deliveries_shipper", "/api/v1/deliveries", "shipper", shipper_api,
                 walk=listing, shipper=SHIPPER, api=True),
        Endpoint("api_delivery", "/api/v1/deliveries/{id}", "dispatcher", dispatcher_api,
                 by_id("/api/v1/deliveries/{}", facts.delivery_ids), api=True),
    ]


def api_available(base_url: str, creds: Credentials) -> bool:
    """Whether this build serves the JSON API (a 404 on the list: not yet)."""
    answer = httpx.get(f"{base_url}/api/v1/deliveries?limit=1", timeout=TIMEOUT,
                       headers={"Authorization": f"Bearer {creds.dispatcher_token}"})
    return answer.status_code != 404


# --- the run -------------------------------------------------------------------------------------

def web_env(url: str, workdir: Path, config_file: Path, port: int) -> dict[str, str]:
    env = simulate_env(url, workdir, config_file)  # nothing else of this shell's DOORSTEP_*
    env.update(DOORSTEP_HOST="127.0.0.1", DOORSTEP_PORT=str(port))
    return env


@contextmanager
def _workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="doorstep-bench-dashboard-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run(*, deliveries: int, seed: int, requests: int, concurrency: int,
        database_url: str | None, console: Console) -> dict[str, Any]:
    """Simulate (or take) the day, serve it, measure every endpoint; return the figures."""
    load_before = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    config_file = Path(os.environ.get("DOORSTEP_CONFIG_FILE", "doorstep.toml")).resolve()
    if not config_file.exists():
        raise BenchError(f"{config_file}: no such operator file (set DOORSTEP_CONFIG_FILE)")
    with _workdir() as workdir:
        simulate_seconds: float | None = None
        if database_url is None:
            url, simulate_seconds = simulate_day(deliveries, seed, workdir, config_file, console)
            console.print(f"simulated {deliveries:,} deliveries in {simulate_seconds:.1f} s",
                          highlight=False)
        else:
            url = database_url
        with console.status("reading the day's size and drawing ids ..."):
            try:
                facts = day_facts(url, seed, requests)
            except sa.exc.SQLAlchemyError as err:
                raise BenchError(f"cannot read the database ({type(err).__name__}); is it "
                                 "migrated and simulated?") from None
        if facts.deliveries_on_day == 0 or not facts.route_ids:
            raise BenchError(f"the database has no deliveries or routes on {DAY}: simulate the day "
                             f"first (doorstep simulate --date {DAY} --as-fast-as-possible)")
        try:
            creds = make_credentials(url)
        except UserError as err:
            raise BenchError(f"cannot make the bench's users and tokens: {err}") from None
        try:
            figures = _serve_and_measure(url, workdir, config_file, creds, facts, requests,
                                         concurrency, console)
        finally:
            if database_url is not None:
                remove_credentials(url, creds)
    backend = sa.engine.make_url(sqlalchemy_url(url)).get_backend_name()
    failed = {k: v["failures"] for k, v in figures["endpoints"].items() if v["failures"]}
    return {
        "date": DAY.isoformat(), "market": MARKET, "shipper": SHIPPER, "seed": seed,
        "database": backend, "simulated_here": database_url is None,
        "simulate_seconds": None if simulate_seconds is None else round(simulate_seconds, 1),
        "deliveries": facts.deliveries, "deliveries_on_day": facts.deliveries_on_day,
        "all_markets_days": facts.wall_clock_days,
        "events": facts.events, "requests": requests, "concurrency": concurrency,
        "warmup": WARMUP, "cores": os.cpu_count(), "uvicorn_workers": 1,
        "load_average_before": load_before, **figures,
        "ok": not failed, "failed_endpoints": failed,
    }


def _serve_and_measure(url: str, workdir: Path, config_file: Path, creds: Credentials,
                       facts: DayFacts, requests: int, concurrency: int,
                       console: Console) -> dict[str, Any]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    console.print(f"doorstep web: starting on port {port}", highlight=False)
    results: dict[str, Any] = {}
    with server("doorstep web", [*doorstep_command(), "web"],
                web_env(url, workdir, config_file, port), port, workdir / "web.log"):
        has_api = api_available(base_url, creds)
        if not has_api:
            console.print(f"/api/v1/deliveries: {NOT_AVAILABLE} in this build; its rows are "
                          "left out", highlight=False)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("requests"), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as bar:
            for ep in endpoints(creds, facts):
                if ep.api and not has_api:
                    results[ep.key] = {"label": ep.label, "who": ep.who,
                                       "path": requested(ep), "requests": 0,
                                       "failures": 0, "available": False, "note": NOT_AVAILABLE,
                                       "p50_ms": None, "p95_ms": None, "p99_ms": None,
                                       "max_ms": None}
                    continue
                results[ep.key] = measure(ep, base_url, requests, concurrency, bar)
        with console.status("raw SQL from this process ..."):
            raw = raw_count(url)
        log_tail = tail(workdir / "web.log", 40)
    out: dict[str, Any] = {"floor": "healthz", "endpoints": results, "raw_sql": raw}
    if any(r["failures"] for r in results.values()):
        out["server_log_tail"] = log_tail
    return out


QUANTILES = ("p50", "p95", "p99", "max")


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:,.0f}"


def render(result: dict[str, Any], console: Console) -> None:
    table = Table(title=f"dashboard: {result['deliveries']:,} deliveries, {result['events']:,} "
                        f"events ({result['database']}); {result['requests']} requests per "
                        f"endpoint, {result['concurrency']} connections",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    table.add_column("endpoint", no_wrap=True)
    table.add_column("as", no_wrap=True)
    for name in ("requests\n(not 200)", "p50\nms", "p95\nms", "p99\nms", "max\nms",
                 "p95 /\nfloor"):
        table.add_column(name, justify="right", no_wrap=True)
    floor = result["endpoints"]["healthz"]["p95_ms"] or 0.0
    for key, r in result["endpoints"].items():
        if not r["available"]:
            table.add_row(r["label"], r["who"], "-", r["note"])
            continue
        sent = f"{r['requests']} [red]({r['failures']})[/red]" if r["failures"] else \
            str(r["requests"])
        ratio = "-" if key == "healthz" or not floor else f"{r['p95_ms'] / floor:,.0f}x"
        table.add_row(r["label"], r["who"], sent, *(_ms(r[f"{q}_ms"]) for q in QUANTILES),
                      ratio, end_section=key == "healthz")
    console.print(table)
    console.print()
    raw = result["raw_sql"]
    on_day = (f"{result['date']}, the simulated day" if result["all_markets_days"] ==
              [result["date"]] else f"{', '.join(result['all_markets_days'])}, not the simulated "
              f"day: its figures are those of another day")
    simulated = (f"simulated here in {result['simulate_seconds']:.0f} s"
                 if result["simulated_here"] else "given with --database-url")
    console.print(
        f"database: {result['deliveries']:,} deliveries ({result['deliveries_on_day']:,} on "
        f"{result['date']}), {result['events']:,} events; {simulated}.\n"
        f"floor: /healthz p95 {floor:.1f} ms (same server, same clients, no table touched); "
        f"raw SQL from the load process: `{raw['sql']}` = {raw['rows']:,} rows in "
        f"{raw['p50_ms']:.2f} ms (median of {raw['runs']}; first {raw['first_ms']:.2f} ms, "
        f"max {raw['max_ms']:.2f} ms).", highlight=False)
    console.print(
        f"[dim]{result['cores']} cores; `doorstep web` is one uvicorn process; the load is "
        f"{result['concurrency']} threads of the bench process, one keep-alive httpx client "
        f"each, after {result['warmup']} untimed requests each; 1-minute load average before "
        f"the run: {result['load_average_before']}. Pages as a person (session cookie), the "
        f"API as a machine (bearer token); shipper = {result['shipper']}. Market pages ask for "
        f"?date={result['date']} (the simulated day); /today (all markets) has no date "
        f"parameter and shows each market's wall-clock today: {on_day}. Detail pages take "
        f"random ids of "
        f"the day (seed {result['seed']}). The API list is "
        f"?market={result['market']}&date={result['date']}&limit={PAGE_LIMIT}, walked by "
        f"next_cursor, each connection from the first page again after the last.[/dim]")
    if not result["ok"]:
        for key, n in result["failed_endpoints"].items():
            r = result["endpoints"][key]
            console.print(f"[red]{r['label']} ({r['who']}): {n} of {r['requests']} answers were "
                          f"not 200: {r['statuses']}; first: {r.get('first_failure')}[/red]",
                          highlight=False)
        if result.get("server_log_tail"):
            console.print("the server's log ends with:", highlight=False)
            console.print(result["server_log_tail"], highlight=False, markup=False)
