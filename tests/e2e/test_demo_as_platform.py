"""`make run RUN_ARGS='--platform circuit'`: the demo plays its day as Circuit for Teams — the
platform's fake driven, doorstep hearing of the day through its webhook — and a restart plays
the day again without doubling anything."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import httpx
import sqlalchemy as sa

from doorstep.store.db import Database
from doorstep.store.sql import count_by
from doorstep.store.tables import deliveries, events
from tests.e2e.test_simulate import demo_login_works
from tests.integration.http.processes import Service, doorstep_env, free_port

DELIVERIES = 40


def recorded(url: str) -> tuple[dict[str, int], dict[str, int], int]:
    db = Database(url)
    try:
        with db.reading() as s:
            by_status = count_by(s, deliveries.c.status)
            by_source = count_by(s, events.c.source)
            unsettled = s.scalar(sa.select(sa.func.count()).select_from(events).where(
                events.c.status.in_(["stored", "deferred", "failed", "flagged"]))) or 0
        return by_status, by_source, int(unsettled)
    finally:
        db.dispose()


def play_the_day(server: Service, url: str) -> tuple[dict[str, int], dict[str, int], int]:
    """Start the demo, wait for its day to be played and for doorstep's queue to be empty."""
    played_before = server.log().count("day complete")
    server.start()
    server.wait_healthy()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.log().count("day complete") > played_before and idle(server) \
                and settled(recorded(url)):
            break
        time.sleep(0.2)
    assert idle(server), server.log()[-3000:]
    return recorded(url)


def settled(seen: tuple[dict[str, int], dict[str, int], int]) -> bool:
    """An empty queue can hide a job in flight (and the jobs it will enqueue): the day is done
    when nothing is left to process and no delivery waits for its outcome."""
    by_status, _, unsettled = seen
    return unsettled == 0 and set(by_status) <= {"delivered", "failed"}


def idle(server: Service) -> bool:
    ready = httpx.get(f"{server.base_url}/readyz", timeout=10).json()
    return bool(ready["checks"]["queue"] == "ok (0 waiting)")


def test_the_demo_plays_its_day_as_circuit_and_a_restart_doubles_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["serve", "--platform", "circuit", "--deliveries", str(DELIVERIES), "--speed", "20000"]
    server = Service(args, doorstep_env(tmp_path / "var", url), tmp_path, port=free_port())

    first = play_the_day(server, url)
    demo_login_works(server)
    server.send(signal.SIGINT)
    assert server.wait_exit() in (0, 130)
    again = play_the_day(server, url)  # the fake kept nothing: the day is played again
    server.stop()

    by_status, by_source, unsettled = first
    assert server.log().count("as circuit") == 2 and server.log().count("day complete") == 2
    assert "Traceback" not in server.log()
    assert sum(by_status.values()) == DELIVERIES
    assert set(by_status) <= {"delivered", "failed"}  # every delivery's outcome came through
    assert by_source.get("circuit", 0) > DELIVERIES  # through Circuit's webhook
    assert unsettled == 0
    assert again[0] == by_status  # the replay recognised: no delivery twice, no outcome moved
