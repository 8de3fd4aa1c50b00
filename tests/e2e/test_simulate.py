"""`doorstep simulate` and the demo feed of `doorstep serve`, as a user runs them."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from doorstep.store import event_log
from doorstep.store.db import Database
from doorstep.store.sql import count_by
from doorstep.store.tables import cursors, deliveries, events
from tests.integration.http.processes import Service, doorstep_bin, doorstep_env, free_port

SETTLED = {"processed", "ignored"}


def simulate(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> dict:
    env = env or doorstep_env(tmp_path / "var", f"sqlite:///{tmp_path / 'doorstep.db'}")
    done = subprocess.run([doorstep_bin(), "simulate", "--seed", "11", "--date", "2026-03-10",
                           "--json", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def stored_events(url: str) -> int:
    db = Database(url)
    try:
        with db.reading() as s:
            return int(s.scalar(sa.select(sa.func.count()).select_from(events)) or 0)
    finally:
        db.dispose()


def test_a_simulated_day_is_recorded_whole_and_a_rerun_changes_nothing(tmp_path: Path) -> None:
    first = simulate(tmp_path, "--deliveries", "300")
    sim, recorded = first["simulated"], first["doorstep"]
    assert sim["deliveries"] == 300
    assert sum(recorded["deliveries_by_status"].values()) == 300
    assert recorded["deliveries_by_status"].get("delivered", 0) == sim["delivered"]
    assert recorded["deliveries_by_status"].get("failed", 0) == sim["failed"]
    assert set(recorded["events_by_status"]) <= SETTLED  # nothing deferred, failed or stuck
    assert sum(recorded["events_by_status"].values()) == first["events_sent"]

    url = f"sqlite:///{tmp_path / 'doorstep.db'}"
    before = stored_events(url)
    again = simulate(tmp_path, "--deliveries", "300")
    assert again["simulated"] == sim  # same seed, same day
    assert stored_events(url) == before  # every event was a repeat: nothing new stored


def test_simulate_feeds_a_running_doorstep_over_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    env = doorstep_env(tmp_path / "var", url)
    server = Service(["serve", "--no-simulator"], env, tmp_path, port=free_port()).start()
    try:
        server.wait_healthy()
        figures = simulate(tmp_path, "--deliveries", "150", "--target", server.base_url,
                           env=env)
        assert figures["events_sent"] == figures["simulated"]["events"]
        db = Database(url)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the embedded worker processes what was accepted
            with db.reading() as s:
                settled = event_log.count_by_status(s)
                by_status = count_by(s, deliveries.c.status)
            if sum(settled.values()) == figures["events_sent"] and set(settled) <= SETTLED:
                break
            time.sleep(0.2)
        db.dispose()
        assert set(settled) <= SETTLED, settled
        assert sum(by_status.values()) == 150
        assert by_status.get("delivered", 0) == figures["simulated"]["delivered"]
    finally:
        server.stop()


def test_the_demo_feed_continues_where_it_stopped(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    env = doorstep_env(tmp_path / "var", url)
    args = ["serve", "--deliveries", "200", "--speed", "3000"]
    server = Service(args, env, tmp_path, port=free_port()).start()
    server.wait_healthy()
    password = demo_login_works(server)
    deadline = time.monotonic() + 60
    while stored_events(url) < 100 and time.monotonic() < deadline:
        time.sleep(0.2)
    server.send(signal.SIGINT)
    assert server.wait_exit() in (0, 130)  # 130: the conventional exit after Ctrl-C
    assert "Traceback" not in server.log()
    db = Database(url)
    with db.reading() as s:
        saved = s.execute(sa.select(cursors.c.name, cursors.c.value)).all()
    db.dispose()
    assert len(saved) == 1 and saved[0].name.startswith("sim.demo:")
    assert "paused after" in server.log()

    server.start()
    server.wait_healthy()
    deadline = time.monotonic() + 60
    while "resuming at" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert f"resuming at {saved[0].value}" in server.log()
    assert demo_login_works(server) == password  # the same login, run after run
    server.stop()


def demo_login_works(server: Service) -> str:
    """The demo prints the dashboard's address and a login; the login opens the dashboard."""
    log = server.log()
    assert f"Dashboard  {server.base_url}/today" in log
    email = re.findall(r"Log in as  (\S+)", log)[-1]
    password = re.findall(r"Password   (\S+)", log)[-1]
    with httpx.Client(base_url=server.base_url, timeout=30.0) as c:
        form = c.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        answer = c.post("/login", data={"email": email, "password": password,
                                        "csrf_token": csrf.group(1), "next": "/today"})
        assert answer.status_code == 303
        assert c.get("/today").status_code == 200
    return password
