"""The operation simulator: a whole operating day, deterministic from a seed, on a virtual clock.

    day = generate_day(operator, load_scenario(path), date(2025, 3, 14), seed=7, deliveries=2000)
    summary = DaySummary(operator)
    play(day, FanoutSink(IntakeSink(intake), summary), VirtualClock(first_event_at(day)))
"""

from doorstep.sim.generator import generate_day
from doorstep.sim.model import SimDay
from doorstep.sim.player import (
    PlayResult,
    day_events,
    expected_event_count,
    first_event_at,
    play,
)
from doorstep.sim.scenario import Scenario, load_scenario
from doorstep.sim.sinks import (
    CollectingSink,
    EventSink,
    FanoutSink,
    HttpSink,
    IntakeSink,
    SinkError,
)
from doorstep.sim.summary import DaySummary, summary_table

__all__ = [
    "CollectingSink", "DaySummary", "EventSink", "FanoutSink", "HttpSink", "IntakeSink",
    "PlayResult", "Scenario", "SimDay", "SinkError", "day_events", "expected_event_count",
    "first_event_at", "generate_day", "load_scenario", "play", "summary_table",
]
