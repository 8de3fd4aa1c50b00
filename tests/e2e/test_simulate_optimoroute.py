"""A simulated day played as OptimoRoute (`doorstep simulate --platform optimoroute`): the fake
OptimoRoute carries the orders, plans and the drivers' day, doorstep is served on a port and
hears of it only through its OptimoRoute connector — and records what was simulated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from doorstep.sim.run import Plan, simulate
from doorstep.store.db import Database
from doorstep.store.sql import count_by
from doorstep.store.tables import events, platform_writes
from tests.conftest import make_settings

SETTLED = {"processed", "ignored"}


def test_a_day_on_optimoroute_is_recorded_as_it_was_played(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'doorstep.db'}"
    figures = simulate(make_settings(tmp_path, url), Plan(
        scenario=None, seed=7, deliveries=60, service_date=date(2026, 12, 1),
        show_progress=False, platform="optimoroute"))

    sim, recorded = figures["simulated"], figures["doorstep"]
    assert figures["platform"] == "optimoroute" and sim["deliveries"] == 60
    by_status = recorded["deliveries_by_status"]
    assert sum(by_status.values()) == 60
    assert by_status.get("delivered", 0) == sim["delivered"]
    assert by_status.get("failed", 0) == sim["failed"]
    assert recorded["routes_by_status"] == {"completed": sim["routes"]}
    assert set(recorded["events_by_status"]) <= SETTLED  # nothing deferred, flagged or failed

    db = Database(url)
    try:
        with db.reading() as s:
            heard = count_by(s, events.c.type, events.c.source == "optimoroute")
            owed = count_by(s, platform_writes.c.status)
            sim_outcomes = s.scalar(sa.select(sa.func.count()).select_from(events).where(
                events.c.source == "sim", events.c.type.like("delivery.%")))
    finally:
        db.dispose()
    # every delivery fact came through the platform, none around it
    assert heard["delivery.created"] == 60 and sim_outcomes == 0
    assert heard["delivery.delivered"] == sim["delivered"]
    assert heard["route.planned"] == heard["route.started"] == sim["routes"]
    assert set(owed) <= {"done"}  # no write-back refused or still owed
