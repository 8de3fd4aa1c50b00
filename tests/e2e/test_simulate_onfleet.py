"""`simulate --platform onfleet`: a small day played on the fake Onfleet, which doorstep hears of
only through the Onfleet connector (its webhooks and its reads), ends with doorstep's record
of every delivery equal to what the simulation says happened."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import sqlalchemy as sa

from doorstep.sim.run import Plan, simulate
from doorstep.store.db import Database
from doorstep.store.tables import events
from tests.conftest import make_settings

SETTLED = {"processed", "ignored"}


def test_a_day_played_as_onfleet_is_recorded_as_it_happened(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'doorstep.db'}"
    figures = simulate(make_settings(tmp_path, url), Plan(
        scenario=None, seed=5, deliveries=48, service_date=date(2026, 12, 1),
        platform="onfleet", show_progress=False))
    sim, recorded = figures["simulated"], figures["doorstep"]
    assert figures["platform"] == "onfleet" and sim["deliveries"] == 48
    assert sim["failed"] > 0 and sim["delivered"] > 0
    by_status = recorded["deliveries_by_status"]
    assert sum(by_status.values()) == 48
    assert by_status.get("delivered", 0) == sim["delivered"]
    assert by_status.get("failed", 0) == sim["failed"]
    assert set(recorded["events_by_status"]) <= SETTLED  # nothing deferred, flagged or failed
    assert recorded["routes_by_status"].get("completed", 0) >= 1
    db = Database(url)
    try:  # the deliveries' story came from Onfleet, not from the simulator's own feed
        with db.reading() as s:
            sources = dict(s.execute(sa.select(events.c.source, sa.func.count())
                                     .where(events.c.type.like("delivery.%"))
                                     .group_by(events.c.source)).all())
    finally:
        db.dispose()
    assert set(sources) == {"onfleet"} and sources["onfleet"] >= 48 * 3
