"""`doorstep bench ingest`: stored events/s through the real intake, beside a bare endpoint.

Both servers run the same way (one uvicorn process each, started as a subprocess on a free port,
one after the other) and take the same load from a separate process (`doorstep.bench.load`):

1. bare: `doorstep.bench.bare_app` parses the JSON and inserts one row per event;
2. doorstep: `doorstep web` on a freshly migrated database: Standard Webhooks signature check,
   v1 validation, stored once by (source, id), jobs enqueued (to the SQLite queue; no worker runs).

Afterwards the stored rows are counted in each database: every event sent must be there.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from doorstep.bench.bare_app import TABLE as BARE_TABLE

READY_TIMEOUT = 60.0


class BenchError(Exception):
    """The benchmark could not run; the message says which step and shows the server's log."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (Linux /proc), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tail(path: Path, lines: int = 25) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def doorstep_command() -> list[str]:
    """The `doorstep` console script of this interpreter's environment."""
    script = Path(sys.executable).parent / "doorstep"
    if script.exists():
        return [str(script)]
    found = shutil.which("doorstep")
    return [found] if found else [sys.executable, "-c", "from doorstep.cli import main; main()"]


def sqlalchemy_url(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql") else url


def count(url: str, sql: str, **params: Any) -> int:
    engine = sa.create_engine(sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text(sql), params).scalar_one())
    finally:
        engine.dispose()


def stop(proc: subprocess.Popen[bytes], grace: float) -> None:
    """End a child that is still running: politely, then for good after `grace` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def server(name: str, cmd: list[str], env: dict[str, str], port: int,
           log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server, wait until GET /healthz answers, and stop it afterwards whatever happens."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + READY_TIMEOUT
            while True:
                if proc.poll() is not None:
                    raise BenchError(f"{name} exited with code {proc.returncode} before it was "
                                     f"ready:\n{tail(log_path)}")
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1.0).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise BenchError(f"{name} did not answer /healthz within {READY_TIMEOUT:.0f} s:"
                                     f"\n{tail(log_path)}")
                time.sleep(0.1)
            yield proc
        finally:
            stop(proc, grace=15)


def run_load(label: str, url: str, *, requests: int, concurrency: int, batch: int, secret: str,
             prefix: str, workdir: Path, console: Console) -> dict[str, Any]:
    out = workdir / f"load-{label}.json"
    err_path = workdir / f"load-{label}.log"
    cmd = [sys.executable, "-m", "doorstep.bench.load", "--url", url, "--requests", str(requests),
           "--concurrency", str(concurrency), "--batch", str(batch), "--secret", secret,
           "--prefix", prefix, "--out", str(out), "--progress"]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("requests"), TimeElapsedColumn())
    with err_path.open("wb") as err, Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(f"{label}: preparing bodies", total=requests)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, stdin=subprocess.DEVNULL,
                                text=True)
        try:
            assert proc.stdout is not None
            for line in proc.stdout:
                if line.startswith("progress "):
                    bar.update(task, completed=int(line.split()[1]),
                               description=f"{label}: sending")
            proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    if proc.returncode != 0 or not out.exists():
        raise BenchError(f"the load process failed (exit {proc.returncode}):\n{tail(err_path)}")
    result: dict[str, Any] = json.loads(out.read_text())
    return result


def measure(label: str, path: str, proc: subprocess.Popen[bytes], port: int, *,
            requests: int, concurrency: int, batch: int, secret: str, prefix: str,
            workdir: Path, console: Console) -> dict[str, Any]:
    cpu_before = cpu_seconds(proc.pid)
    load = run_load(label, f"http://127.0.0.1:{port}{path}", requests=requests,
                    concurrency=concurrency, batch=batch, secret=secret, prefix=prefix,
                    workdir=workdir, console=console)
    cpu_after = cpu_seconds(proc.pid)
    seconds = load["seconds"]
    server_cpu = (cpu_after - cpu_before) / seconds if cpu_before is not None and cpu_after is not None else None
    return {
        "endpoint": path, "requests": requests, "ok_requests": load["ok"],
        "statuses": load["statuses"], "events_sent": requests * batch,
        "seconds": round(seconds, 3),
        "requests_per_s": round(requests / seconds, 1),
        "events_per_s": round(requests * batch / seconds, 1),
        "p50_ms": round(load["p50_ms"], 2), "p99_ms": round(load["p99_ms"], 2),
        "body_bytes": load["body_bytes"],
        "server_cpu": round(server_cpu, 2) if server_cpu is not None else None,
        "load_cpu": round(load["load_cpu_seconds"] / seconds, 2),
    }


def run(*, requests: int, concurrency: int, batch: int, database_url: str | None,
        console: Console) -> dict[str, Any]:
    """Measure both endpoints in this run; return the figures (see `render`)."""
    load_before = round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None
    config_file = Path(os.environ.get("DOORSTEP_CONFIG_FILE", "doorstep.toml")).resolve()
    if not config_file.exists():
        raise BenchError(f"{config_file}: no such operator file (set DOORSTEP_CONFIG_FILE)")
    workdir = Path(tempfile.mkdtemp(prefix="doorstep-bench-"))
    try:
        bare_url = database_url or f"sqlite:///{workdir / 'bare.db'}"
        doorstep_url = database_url or f"sqlite:///{workdir / 'doorstep.db'}"
        prefix = f"bench-{secrets.token_hex(4)}"  # event ids unique to this run
        secret = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
        measure_load = partial(measure, requests=requests, concurrency=concurrency, batch=batch,
                               secret=secret, prefix=prefix, workdir=workdir, console=console)

        port = free_port()
        bare_cmd = [sys.executable, "-m", "doorstep.bench.bare_app", "--database-url", bare_url,
                    "--port", str(port)]
        console.print(f"bare endpoint: starting on port {port}", highlight=False)
        with server("the bare endpoint", bare_cmd, dict(os.environ), port,
                    workdir / "bare.log") as proc:
            bare = measure_load("bare", "/ingest", proc, port)
        bare["events_stored"] = count(
            bare_url, f"SELECT count(*) FROM {BARE_TABLE} WHERE external_id LIKE :p", p=prefix + "-%")

        port = free_port()
        env = {k: v for k, v in os.environ.items() if k != "DOORSTEP_REDIS_URL"}
        env.update(DOORSTEP_DATABASE_URL=doorstep_url, DOORSTEP_DATA_DIR=str(workdir / "var"),
                   DOORSTEP_GENERIC_WEBHOOK_SECRET=secret, DOORSTEP_CONFIG_FILE=str(config_file),
                   DOORSTEP_HOST="127.0.0.1", DOORSTEP_PORT=str(port))
        console.print("doorstep: migrating the database", highlight=False)
        migrated = subprocess.run([*doorstep_command(), "migrate"], env=env, capture_output=True,
                                  text=True, timeout=300)
        if migrated.returncode != 0:
            raise BenchError(f"`doorstep migrate` failed:\n{migrated.stderr[-3000:]}")
        console.print(f"doorstep web: starting on port {port}", highlight=False)
        with server("doorstep web", [*doorstep_command(), "web"], env, port,
                    workdir / "doorstep.log") as proc:
            real = measure_load("doorstep", "/webhooks/generic", proc, port)
        real["events_stored"] = count(
            doorstep_url, "SELECT count(*) FROM events WHERE source = 'generic' "
            "AND external_id LIKE :p", p=prefix + "-%")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    sent = requests * batch
    return {
        "run": prefix, "requests": requests, "concurrency": concurrency, "batch": batch,
        "database": sa.engine.make_url(sqlalchemy_url(doorstep_url)).get_backend_name(),
        "cores": os.cpu_count(), "uvicorn_workers": 1, "load_average_before": load_before,
        "bare": bare, "doorstep": real,
        "ratio": round(real["events_per_s"] / bare["events_per_s"], 3),
        "verified": bare["events_stored"] == sent and real["events_stored"] == sent,
    }


def render(result: dict[str, Any], console: Console) -> None:
    table = Table(title=f"ingest: {result['requests']} requests x {result['batch']} event(s), "
                        f"{result['concurrency']} connections, {result['database']}",
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("endpoint", no_wrap=True)
    for name in ("requests", "events", "seconds", "events/s", "p50\nms", "p99\nms", "server\nCPU",
                 "load\nCPU"):
        table.add_column(name, justify="right", no_wrap=True)
    for label in ("bare", "doorstep"):
        r = result[label]
        stored = f"{r['events_stored']}" if r["events_stored"] == r["events_sent"] else \
            f"[red]{r['events_stored']} of {r['events_sent']}[/red]"
        cpu = "-" if r["server_cpu"] is None else f"{r['server_cpu']:.0%}"
        table.add_row(label, str(r["requests"]), stored, f"{r['seconds']:.2f}",
                      f"{r['events_per_s']:,.0f}", f"{r['p50_ms']:.1f}", f"{r['p99_ms']:.1f}", cpu,
                      f"{r['load_cpu']:.0%}")
    console.print(table)
    console.print(f"doorstep / bare: [bold]{result['ratio']:.2f}[/bold] "
                  f"({result['doorstep']['events_per_s']:,.0f} vs "
                  f"{result['bare']['events_per_s']:,.0f} events/s)")
    console.print(
        f"[dim]events = events stored (counted in the database afterwards); "
        f"{result['cores']} cores; each server is one uvicorn process (one worker) and the load "
        f"a separate process on the same machine; CPU = share of one core while timed; "
        f"1-minute load average before the run: {result['load_average_before']}.\n"
        f"bare = {result['bare']['endpoint']}: parse the JSON, insert one row per event.\n"
        f"doorstep = `doorstep web` {result['doorstep']['endpoint']}: signature check, v1 "
        f"validation, store once, enqueue the jobs (no worker runs).[/dim]")
    if not result["verified"]:
        console.print("[red]not every event sent was stored: the figures are not valid[/red]")
