"""`bench dashboard`, step 1 and 3: the simulated day to serve, the people and machines that
ask for it, and the facts (ids, counts) the requests are drawn from."""

from __future__ import annotations

import os
import random
import secrets
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from rich.console import Console
from rich.progress import (
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from doorstep.bench.ingest import (
    BenchError,
    sqlalchemy_url,
    stop,
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
            stop(proc, grace=10)  # interrupted: the child goes too
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
