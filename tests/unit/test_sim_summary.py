"""The day's figures, read back from the played events."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from rich.console import Console

from doorstep.clock import VirtualClock
from doorstep.config import load_operator
from doorstep.sim import DaySummary, Scenario, first_event_at, generate_day, play, summary_table

ROOT = Path(__file__).resolve().parents[2]


def test_the_figures_add_up_and_print() -> None:
    operator = load_operator(ROOT / "doorstep.toml")
    sc = Scenario.model_validate({"drivers": {"callout_rate": 0.3},
                                  "exceptions": {"road_closure": {"rate": 0.5}}})
    day = generate_day(operator, sc, date(2025, 3, 14), seed=6, deliveries=1500)
    summary = DaySummary(operator)
    start = first_event_at(day)
    assert start is not None
    play(day, summary, VirtualClock(start))
    f = summary.as_dict()
    json.dumps(f)  # --json prints it as is
    assert f["service_dates"] == ["2025-03-14"]
    assert f["deliveries"] == 1500 == f["delivered"] + f["failed"] + f["open"]
    assert f["open"] == 0
    assert f["attempted"] + f["failed_not_attempted"] == 1500
    assert 0.9 < f["first_attempt_success_rate"] < 1
    assert sum(f["failed_by_reason"].values()) == f["failed"]
    assert f["routes"] == f["routes_started"] == f["routes_completed"] == len(day.routes)
    assert f["shifts"] == len(day.shifts)
    assert f["callouts"] == sum(1 for s in day.shifts if s.callout)
    assert f["confirmations"] == sum(1 for s in day.shifts if s.confirm_reply) - f["callouts_by_reply"]
    assert f["offer_replies"] == sum(len(s.offer_replies) for s in day.shifts)
    assert f["exceptions_by_kind"]["road_closure"] > 0
    assert f["exceptions"] == sum(f["exceptions_by_kind"].values()) == f["exceptions_resolved"]
    assert set(f["by_market"]) == {"nyc", "chi", "phx"}
    assert sum(m["deliveries"] for m in f["by_market"].values()) == 1500
    assert f["recipient_replies"] > 0
    assert 3 < f["events_per_delivery"] < 6
    console = Console(record=True, width=100)
    console.print(summary_table(f))
    text = console.export_text()
    assert "first-attempt success" in text and "market phx" in text
