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
import random
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from doorstep.access.users import UserError
from doorstep.bench.ingest import (
    BenchError,
    doorstep_command,
    free_port,
    server,
    sqlalchemy_url,
    tail,
)
from doorstep.bench.load import percentile
from doorstep.clock import SystemClock

DAY = date(2026, 11, 24)
MARKET = "nyc"
SHIPPER = "freshcart"
PAGE_LIMIT = 100
WARMUP = 3  # untimed requests per endpoint before the clock starts
SQL_RUNS = 21
TIMEOUT = 60.0
NOT_AVAILABLE = "not available (404)"


# --- the simulated day --------------------------------------------------------------------------

def simulate_env(url: str, workdir: Path, config_file: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    env.update(DOORSTEP_DATABASE_URL=url, DOORSTEP_DATA_DIR=str(workdir / "var"),
               DOORSTEP_CONFIG_FILE=str(config_file), DOORSTEP_LOG_LEVEL="WARNING")
    return env


def simulate_day(deliveries: int, seed: int, workdir: Path, config_file: Path,
                 console: Console) -> tuple[str, float]:
    """A fresh SQLite file holding a simulated DAY, made as `bench day` makes it; its URL and
    the seconds it took."""
    path = workdir / "doorstep.db"
    url = f"sqlite:///{path}"
    cmd = [sys.executable, "-m", "doorstep.cli", "simulate", "--deliveries", str(deliveries),
           "--seed", str(seed), "--date", DAY.isoformat(), "--as-fast-as-possible", "--json"]
    err_path = workdir / "simulate.log"
    columns = (SpinnerColumn(), TextColumn("{task.description}"),
               TextColumn("{task.completed:,.0f} events stored"), TimeElapsedColumn())
    started = time.perf_counter()
    with (err_path.open("wb") as errf, Progress(*columns, console=console, transient=True) as bar):
        task = bar.add_task(f"simulating a day of {deliveries:,} deliveries", total=None)
        proc = subprocess.Popen(cmd, env=simulate_env(url, workdir, config_file),
                                stdout=subprocess.DEVNULL, stderr=errf, stdin=subprocess.DEVNULL)
        try:
            while proc.poll() is None:
                time.sleep(1.0)
                stored = _events_stored(path)
                if stored is not None:
                    bar.update(task, completed=stored)
        finally:
            if proc.poll() is None:  # interrupted: the child goes too
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
    if proc.returncode != 0:
        raise BenchError(f"simulate --deliveries {deliveries} failed (exit {proc.returncode}):\n"
                         f"{tail(err_path)}")
    return url, time.perf_counter() - started


def _events_stored(path: Path) -> int | None:
    """The highest event id so far, read beside the writer (WAL); None while there is none."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)
        try:
            row = conn.execute("SELECT max(id) FROM events").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:  # the schema is still being made
        return None
    return int(row[0]) if row and row[0] is not None else None


# --- who asks ------------------------------------------------------------------------------------

@dataclass
class Credentials:
    admin_cookie: str
    shipper_cookie: str
    dispatcher_token: str
    shipper_token: str
    user_ids: list[int] = field(default_factory=list)
    token_ids: list[int] = field(default_factory=list)


def make_credentials(url: str) -> Credentials:
    """An admin and a shipper user with a session each, a dispatcher and a shipper token."""
    from doorstep.access import api_tokens, sessions, users
    from doorstep.domain.access import Role
    from doorstep.store.db import Database

    now = SystemClock().now()
    run = secrets.token_hex(4)
    password = secrets.token_urlsafe(18)
    db = Database(url)
    try:
        with db.transaction() as s:
            admin = users.create(s, email=f"bench-admin-{run}@example.com", name="Bench admin",
                                 role=Role.ADMIN, password=password, shipper_id=None, now=now)
            shipper = users.create(s, email=f"bench-{SHIPPER}-{run}@example.com",
                                   name=f"Bench {SHIPPER}", role=Role.SHIPPER, password=password,
                                   shipper_id=SHIPPER, now=now)
            admin_cookie, _ = sessions.open_session(s, admin, now)
            shipper_cookie, _ = sessions.open_session(s, shipper, now)
            dispatcher_token, d = api_tokens.create(s, role=Role.DISPATCHER, shipper_id=None,
                                                    name=f"bench dispatcher {run}", now=now)
            shipper_token, t = api_tokens.create(s, role=Role.SHIPPER, shipper_id=SHIPPER,
                                                 name=f"bench {SHIPPER} {run}", now=now)
    finally:
        db.dispose()
    return Credentials(admin_cookie, shipper_cookie, dispatcher_token, shipper_token,
                       [admin.id, shipper.id], [d.id, t.id])


def remove_credentials(url: str, made: Credentials) -> None:
    """Leave a database that was given as it was found: the bench's people and tokens go."""
    from doorstep.store.tables import api_tokens, sessions, users

    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.user_id.in_(made.user_ids)))
            conn.execute(users.delete().where(users.c.id.in_(made.user_ids)))
            conn.execute(api_tokens.delete().where(api_tokens.c.id.in_(made.token_ids)))
    finally:
        engine.dispose()


# --- what the database holds ---------------------------------------------------------------------

@dataclass
class DayFacts:
    deliveries: int
    events: int
    deliveries_on_day: int
    delivery_ids: list[str]
    route_ids: list[str]
    wall_clock_days: list[str]  # each market's today by the wall clock: what /today shows


def day_facts(url: str, seed: int, sample: int) -> DayFacts:
    """The database's size, and ids to ask for, drawn at random from DAY (same seed, same ids)."""
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            def scalar(sql: str, **params: Any) -> int:
                return int(conn.execute(sa.text(sql), params).scalar_one())

            deliveries = scalar("SELECT count(*) FROM deliveries")
            events = scalar("SELECT count(*) FROM events")
            on_day = scalar("SELECT count(*) FROM deliveries WHERE service_date = :d", d=DAY)
            delivery_ids = list(conn.execute(sa.text(
                "SELECT id FROM deliveries WHERE service_date = :d ORDER BY id"), {"d": DAY})
                .scalars())
            zones = list(conn.execute(sa.text("SELECT timezone FROM markets")).scalars())
            route_ids = list(conn.execute(sa.text(
                "SELECT id FROM routes WHERE service_date = :d ORDER BY id"), {"d": DAY})
                .scalars())
    finally:
        engine.dispose()
    rng = random.Random(seed)

    def draw(ids: list[str]) -> list[str]:
        return [rng.choice(ids) for _ in range(sample)] if ids else []

    now = SystemClock().now()
    days = sorted({now.astimezone(ZoneInfo(z)).date().isoformat() for z in zones})
    return DayFacts(deliveries, events, on_day, draw(delivery_ids), draw(route_ids), days)


def raw_count(url: str, runs: int = SQL_RUNS) -> dict[str, Any]:
    """`SELECT count(*) FROM deliveries` timed from this process on one open connection."""
    engine = sa.create_engine(sqlalchemy_url(url))
    times = []
    try:
        with engine.connect() as conn:
            rows = 0
            for _ in range(runs):
                t0 = time.perf_counter()
                rows = int(conn.execute(sa.text("SELECT count(*) FROM deliveries")).scalar_one())
                times.append((time.perf_counter() - t0) * 1000)
                conn.rollback()
    finally:
        engine.dispose()
    ordered = sorted(times)
    return {"sql": "SELECT count(*) FROM deliveries", "rows": rows, "runs": runs,
            "first_ms": round(times[0], 3), "p50_ms": round(percentile(ordered, 0.5), 3),
            "max_ms": round(ordered[-1], 3)}


# --- the load ------------------------------------------------------------------------------------

@dataclass
class Endpoint:
    key: str  # the key in the figures
    label: str  # what the table shows
    who: str
    auth: dict[str, Any]  # httpx.Client keyword arguments: cookies or headers
    paths: Callable[[int], str] | None = None  # the path of request i (fixed or by id)
    walk: str | None = None  # a list walked by next_cursor, starting at this path
    shipper: str | None = None  # every item of the list must be this shipper's
    api: bool = False


def fixed(path: str) -> Callable[[int], str]:
    return lambda _i: path


def by_id(template: str, ids: list[str]) -> Callable[[int], str]:
    return lambda i: template.format(ids[i % len(ids)])


@dataclass
class Sample:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    failures: int = 0
    items: int = 0
    foreign: int = 0  # items of a shipper-scoped list that were not the shipper's
    first_failure: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, status: str, problem: str | None, items: int,
               foreign: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1
            self.items += items
            self.foreign += foreign
            if problem is not None:
                self.failures += 1
                if self.first_failure is None:
                    self.first_failure = problem


def _get(client: httpx.Client, path: str) -> tuple[float, httpx.Response | None, str]:
    t0 = time.perf_counter()
    try:
        response = client.get(path)
        response.read()
    except httpx.HTTPError as err:
        return time.perf_counter() - t0, None, type(err).__name__
    return time.perf_counter() - t0, response, str(response.status_code)


def _check(ep: Endpoint, path: str, response: httpx.Response | None,
           status: str) -> tuple[str | None, int, int, str | None]:
    """(problem, items, foreign items, next cursor) of one answer."""
    if response is None or response.status_code != 200:
        body = ""  # a JSON error says why; an HTML page would only be noise here
        if response is not None and "json" in response.headers.get("content-type", ""):
            body = response.text[:200]
        return f"GET {path} -> {status} {body}".strip(), 0, 0, None
    if ep.walk is None:
        return None, 0, 0, None
    try:
        page = response.json()
        items = page["items"]
        cursor = page["next_cursor"]
    except (ValueError, KeyError, TypeError):
        return f"GET {path} -> 200 but not a page of items", 0, 0, None
    foreign = sum(1 for item in items if ep.shipper and item.get("shipper_id") != ep.shipper)
    problem = f"GET {path} -> {foreign} items of another shipper" if foreign else None
    return problem, len(items), foreign, cursor


@dataclass
class Shared:
    """What the load threads of one endpoint share."""

    indexes: Iterator[int]
    sample: Sample
    on_done: Callable[[], None]
    started: threading.Barrier  # every thread warmed up: the clock starts
    take: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)  # interrupted: end now


def _worker(ep: Endpoint, base_url: str, shared: Shared, warmup: int) -> None:
    try:
        _send(ep, base_url, shared, warmup)
    except BaseException:
        shared.started.abort()  # the clock must not wait for a thread that is gone
        raise


def _send(ep: Endpoint, base_url: str, shared: Shared, warmup: int) -> None:
    cursor: str | None = None

    def next_path(i: int) -> str:
        if ep.walk is None:
            assert ep.paths is not None
            return ep.paths(i)
        return ep.walk if cursor is None else f"{ep.walk}&cursor={cursor}"

    with httpx.Client(base_url=base_url, timeout=TIMEOUT, **ep.auth) as client:
        for w in range(warmup):  # untimed: connections open, caches and pages warm
            if shared.stop.is_set():
                return
            _get(client, next_path(-1 - w))
        try:
            shared.started.wait()
        except threading.BrokenBarrierError:
            return
        while not shared.stop.is_set():
            with shared.take:
                i = next(shared.indexes, None)
            if i is None:
                return
            path = next_path(i)
            seconds, response, status = _get(client, path)
            problem, items, foreign, cursor = _check(ep, path, response, status)
            shared.sample.record(seconds, status, problem, items, foreign)
            shared.on_done()


def requested(ep: Endpoint) -> str:
    """The request as sent: the path, a list's first page, or a path's template."""
    if ep.walk is not None:
        return ep.walk + "  (then &cursor=next_cursor)"
    return ep.label if "{id}" in ep.label else ep.paths(0) if ep.paths else ep.label


def measure(ep: Endpoint, base_url: str, requests: int, concurrency: int, bar: Progress,
            warmup: int = WARMUP) -> dict[str, Any]:
    task = bar.add_task(f"{ep.label} ({ep.who})", total=requests)
    workers = max(1, min(concurrency, requests))
    sample = Sample()
    shared = Shared(iter(range(requests)), sample, lambda: bar.advance(task),
                    threading.Barrier(workers + 1))
    pool = ThreadPoolExecutor(workers, thread_name_prefix="bench-load")
    try:
        futures = [pool.submit(_worker, ep, base_url, shared, warmup) for _ in range(workers)]
        try:
            shared.started.wait()
        except threading.BrokenBarrierError:
            for f in futures:
                f.result()  # the error of the thread that broke it
            raise
        t0 = time.perf_counter()
        for f in futures:
            f.result()
        seconds = time.perf_counter() - t0
    except BaseException:  # Ctrl-C or a broken thread: the others stop after their request
        shared.stop.set()
        shared.started.abort()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    bar.remove_task(task)
    ordered = sorted(sample.latencies)
    ms = [v * 1000 for v in ordered]
    figures: dict[str, Any] = {
        "label": ep.label, "who": ep.who, "path": requested(ep), "requests": len(ordered),
        "failures": sample.failures, "statuses": dict(sample.statuses),
        "p50_ms": round(percentile(ms, 0.50), 2), "p95_ms": round(percentile(ms, 0.95), 2),
        "p99_ms": round(percentile(ms, 0.99), 2), "max_ms": round(ms[-1], 2) if ms else 0.0,
        "seconds": round(seconds, 3),
        "requests_per_s": round(len(ordered) / seconds, 1) if seconds else None,
        "available": True,
    }
    if ep.walk is not None:
        figures.update(items=sample.items, foreign_items=sample.foreign)
    if sample.first_failure:
        figures["first_failure"] = sample.first_failure
    return figures


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
