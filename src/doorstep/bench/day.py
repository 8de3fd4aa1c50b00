"""`doorstep bench day`: a whole simulated day end to end, per size, in its own process.

Each size runs `doorstep simulate --as-fast-as-possible --json` against a fresh SQLite file, so
the wall time and the peak memory (the child's max RSS) are the day's alone. Beside them, the raw
limit of the same disk in the same run: the rate at which plain SQLite (WAL, synchronous=FULL,
250 rows a transaction, as the simulator sends them) inserts rows the size of an event.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from doorstep.bench.ingest import BenchError

ROW = json.dumps({"delivery_id": "D-000000", "eta": "2026-11-24T10:00:00-05:00",
                  "pod": {"photo_url": "https://pod.example/p/0000000000.jpg"}})


def raw_insert_rate(workdir: Path, rows: int, batch: int = 250) -> float:
    """Rows per second plain SQLite takes on this disk, in the simulator's batch size."""
    path = workdir / "raw.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, source TEXT, external_id TEXT, "
                 "payload TEXT, UNIQUE (source, external_id))")
    started = time.perf_counter()
    for start in range(0, rows, batch):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO events (source, external_id, payload) VALUES (?, ?, ?)",
                         (("raw", f"e{i}", ROW) for i in range(start, min(start + batch, rows))))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return rows / elapsed


def run_one(deliveries: int, seed: int, workdir: Path, config_file: Path) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOORSTEP_")}
    env.update(DOORSTEP_DATABASE_URL=f"sqlite:///{workdir / 'doorstep.db'}",
               DOORSTEP_DATA_DIR=str(workdir / "var"), DOORSTEP_CONFIG_FILE=str(config_file),
               DOORSTEP_LOG_LEVEL="WARNING")
    cmd = [sys.executable, "-m", "doorstep.cli", "simulate", "--deliveries", str(deliveries),
           "--seed", str(seed), "--date", "2026-11-24", "--as-fast-as-possible", "--json"]
    out_path, err_path = workdir / "stdout.json", workdir / "stderr.log"
    started = time.perf_counter()
    with out_path.open("wb") as out, err_path.open("wb") as errf:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=errf, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise BenchError(f"simulate --deliveries {deliveries} failed:\n"
                         f"{err_path.read_text(errors='replace')[-3000:]}")
    figures = json.loads(out_path.read_text())
    processed = figures["doorstep"]["events_by_status"]
    settled = sum(n for status, n in processed.items() if status in ("processed", "ignored"))
    return {
        "deliveries": deliveries, "events": figures["events_sent"],
        "wall_seconds": round(wall, 2),
        "events_per_second": round(figures["events_sent"] / wall, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),  # Linux reports KiB
        "events_settled": settled,
        "delivered": figures["doorstep"]["deliveries_by_status"].get("delivered", 0),
        "simulated_delivered": figures["simulated"]["delivered"],
    }


def run(sizes: list[int], seed: int, config_file: Path, console: Console) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="doorstep-bench-day-"))
    try:
        with console.status("raw SQLite inserts on this disk ..."):
            raw = raw_insert_rate(workdir, rows=100_000)
        results = []
        for n in sizes:
            sub = workdir / f"n{n}"
            sub.mkdir()
            with console.status(f"a simulated day of {n:,} deliveries ..."):
                results.append(run_one(n, seed, sub, config_file))
        return {"cores": os.cpu_count(), "seed": seed, "raw_sqlite_inserts_per_second":
                round(raw, 1), "days": results}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def render(result: dict[str, Any], console: Console) -> None:
    raw = result["raw_sqlite_inserts_per_second"]
    table = Table(title="A simulated day, end to end (SQLite, one process)")
    for col in ("deliveries", "events", "wall s", "events/s", "of raw", "peak MB",
                "settled", "delivered (sim / doorstep)"):
        table.add_column(col, justify="right")
    for d in result["days"]:
        table.add_row(f"{d['deliveries']:,}", f"{d['events']:,}", f"{d['wall_seconds']:.1f}",
                      f"{d['events_per_second']:,.0f}", f"{d['events_per_second'] / raw:.1%}",
                      f"{d['peak_rss_mb']:.0f}", f"{d['events_settled']:,}",
                      f"{d['simulated_delivered']:,} / {d['delivered']:,}")
    console.print(table)
    console.print(f"raw limit: plain SQLite inserts {raw:,.0f} rows/s on this disk (WAL, "
                  f"synchronous=FULL, 250 a transaction); {result['cores']} cores. A day is "
                  "generated, sent through the intake, stored once and processed by the "
                  "workflows (Huey's immediate mode) into deliveries, routes and outbox rows.",
                  highlight=False)
