"""A simulated day played as Circuit for Teams / Spoke Dispatch (`doorstep simulate --platform
circuit`): the fake Spoke carries the plans, routes and the drivers' attempts, doorstep is served
on a port and hears of it only through Spoke's signed stop webhooks and the fetches its
connector makes — and records what was simulated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from doorstep.sim.run import Plan, simulate
from doorstep.store.db import Database
from doorstep.store.sql import count_by
from doorstep.store.tables import attempts, events
from tests.conftest import make_settings

SETTLED = {"processed", "ignored"}


def test_a_day_on_circuit_is_recorded_as_it_was_played(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'doorstep.db'}"
    figures = simulate(make_settings(tmp_path, url), Plan(
        scenario=None, seed=7, deliveries=60, service_date=date(2026, 12, 1),
        show_progress=False, platform="circuit"))

    sim, recorded = figures["simulated"], figures["doorstep"]
    assert figures["platform"] == "circuit" and sim["deliveries"] == 60
    by_status = recorded["deliveries_by_status"]
    assert sum(by_status.values()) == 60
    assert by_status.get("delivered", 0) == sim["delivered"]
    assert by_status.get("failed", 0) == sim["failed"] > 0
    assert recorded["routes_by_status"] == {"completed": sim["routes"]}
    assert set(recorded["events_by_status"]) <= SETTLED  # nothing deferred, flagged or failed

    db = Database(url)
    try:
        with db.reading() as s:
            heard = count_by(s, events.c.type, events.c.source == "circuit")
            around = s.scalar(sa.select(sa.func.count()).select_from(events).where(
                events.c.source == "sim", events.c.type.like("delivery.%")
                | events.c.type.like("route.%")))
            reasons = count_by(s, attempts.c.failure_reason, attempts.c.outcome == "failed")
    finally:
        db.dispose()
    # every delivery and route fact came through Spoke, none around it
    assert around == 0
    assert heard["delivery.created"] == heard["delivery.arrived"] == 60
    assert heard["delivery.delivered"] == sim["delivered"]
    assert heard["route.planned"] == heard["route.started"] == heard["route.completed"] == sim[
        "routes"]
    assert reasons == sim["failed_by_reason"]  # each reason back through Spoke's states
