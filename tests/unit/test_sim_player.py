"""Playing a day: batches in order, the virtual clock, resuming, stopping, and doorstep's intake."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from doorstep.clock import VirtualClock
from doorstep.config import OperatorConfig, load_operator
from doorstep.events.parse import parse_event
from doorstep.sim import (
    CollectingSink,
    FanoutSink,
    IntakeSink,
    Scenario,
    day_events,
    first_event_at,
    generate_day,
    play,
)
from doorstep.sim.model import SimDay

ROOT = Path(__file__).resolve().parents[2]
Event = dict[str, Any]


@pytest.fixture(scope="module")
def operator() -> OperatorConfig:
    return load_operator(ROOT / "doorstep.toml")


@pytest.fixture(scope="module")
def day(operator: OperatorConfig) -> SimDay:
    return generate_day(operator, Scenario(), date(2025, 3, 14), seed=21, deliveries=300)


@pytest.fixture(scope="module")
def stream(day: SimDay) -> list[Event]:
    return list(day_events(day))


def at(event: Event) -> datetime:
    return datetime.fromisoformat(event["occurred_at"])


class ClockWatchingSink(CollectingSink):
    """Records, with each batch, where the clock stood when it arrived."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self.sizes: list[int] = []
        self.lag: list[timedelta] = []

    def send(self, batch: list[Event]) -> None:
        self.sizes.append(len(batch))
        self.lag.append(self.clock.now() - max(at(e) for e in batch))
        super().send(batch)


def test_as_fast_as_possible_sends_everything_in_order_and_moves_the_clock(
        day: SimDay, stream: list[Event]) -> None:
    start = first_event_at(day)
    assert start == at(stream[0])
    clock = VirtualClock(start)
    sink = ClockWatchingSink(clock)
    seen: list[tuple[int, int | None, datetime]] = []
    result = play(day, sink, clock, batch_size=100, progress=lambda *a: seen.append(a))
    assert sink.events == stream
    assert result.sent == len(stream) and not result.stopped and result.resume_at is None
    assert max(sink.sizes) <= 100
    assert all(lag >= timedelta(0) for lag in sink.lag)  # never sent before its time
    assert clock.now() == at(stream[-1])
    assert [s[0] for s in seen] == sorted(s[0] for s in seen) and seen[-1][0] == len(stream)
    assert seen[-1][1] == pytest.approx(len(stream), rel=0.15)


def test_a_batch_spans_a_few_virtual_minutes_at_most(day: SimDay) -> None:
    spans = []

    class Spans(CollectingSink):
        def send(self, batch: list[Event]) -> None:
            spans.append(at(batch[-1]) - at(batch[0]))

    play(day, Spans(), VirtualClock(first_event_at(day) or datetime.now(UTC)), batch_size=1000,
         max_span=timedelta(minutes=2))
    assert max(spans) <= timedelta(minutes=2)


def test_a_stopped_day_resumes_where_it_left_off(day: SimDay, stream: list[Event]) -> None:
    stop = threading.Event()
    first = CollectingSink()

    def halfway(done: int, total: int | None, now: datetime) -> None:
        if done >= len(stream) // 2:
            stop.set()

    clock = VirtualClock(at(stream[0]))
    one = play(day, first, clock, batch_size=50, progress=halfway, stop=stop)
    assert one.stopped and one.resume_at is not None
    assert 0 < len(first.events) < len(stream)
    rest = CollectingSink()
    two = play(day, rest, clock, start_at=one.resume_at)
    assert not two.stopped and two.skipped > 0
    assert two.skipped + two.sent == len(stream)
    ids = [e["id"] for e in first.events + rest.events]
    assert set(ids) == {e["id"] for e in stream}  # nothing lost; a few re-sent ones are harmless
    assert len(ids) - len(set(ids)) < 50


def test_paced_play_waits_for_each_event_on_a_fast_clock(day: SimDay, stream: list[Event]) -> None:
    speed = 5e7  # a whole day in a few milliseconds of real time
    clock = VirtualClock(at(stream[0]), speed=speed)
    sink = ClockWatchingSink(clock)
    result = play(day, sink, clock, speed=speed)
    assert result.sent == len(stream)
    assert all(lag >= timedelta(0) for lag in sink.lag)


def test_paced_play_stops_promptly_from_another_thread(day: SimDay, stream: list[Event]) -> None:
    # At real speed the next event is hours away: only the stop flag ends this.
    clock = VirtualClock(at(stream[0]), speed=1.0)
    stop = threading.Event()
    timer = threading.Timer(0.05, stop.set)
    timer.start()
    began = time.monotonic()
    result = play(day, CollectingSink(), clock, speed=1.0, stop=stop,
                  start_at=at(stream[0]) + timedelta(hours=1))
    assert time.monotonic() - began < 1.0
    assert result.stopped and result.sent == 0 and result.resume_at is not None


def test_fast_until_skips_the_waiting_before_it(day: SimDay, stream: list[Event]) -> None:
    clock = VirtualClock(at(stream[0]), speed=1.0)
    morning = datetime(2025, 3, 14, 4, 0, tzinfo=UTC)  # before any route starts anywhere
    before = [e for e in stream if at(e) < morning]
    stop = threading.Event()
    sink = CollectingSink()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    result = play(day, sink, clock, speed=1.0, fast_until=morning, stop=stop)
    timer.cancel()
    assert result.stopped
    assert sink.events == before
    assert clock.now() >= at(before[-1])


def test_paced_play_needs_a_running_clock(day: SimDay) -> None:
    with pytest.raises(ValueError, match="runs by itself"):
        play(day, CollectingSink(), VirtualClock(datetime.now(UTC)), speed=60)


class RecordingIntake:
    """Stands where doorstep's Intake stands (`accept(source, events)`), keeping its promises that
    matter here: whole batches of at most 1,000 valid events, each stored once by (source, id).
    The real Intake over a database is exercised by the integration tests."""

    def __init__(self) -> None:
        self.stored: dict[tuple[str, str], Event] = {}
        self.duplicates = 0
        self.calls = 0

    def accept(self, source: str, raw_events: Sequence[Event]) -> None:
        assert 0 < len(raw_events) <= 1000
        self.calls += 1
        for raw in raw_events:
            parse_event(raw)
            key = (source, raw["id"])
            if key in self.stored:
                self.duplicates += 1
            self.stored.setdefault(key, raw)


def test_the_intake_sink_feeds_doorstep_and_a_replay_changes_nothing(
        day: SimDay, stream: list[Event]) -> None:
    intake = RecordingIntake()
    clock = VirtualClock(at(stream[0]))
    counter = CollectingSink(keep=False)
    play(day, FanoutSink(IntakeSink(intake), counter), clock, batch_size=2500,
         max_span=timedelta(days=2))
    assert len(intake.stored) == len(stream) == counter.count
    assert {source for source, _ in intake.stored} == {"sim"}
    assert counter.batches == 1 and 1000 < len(stream) <= 2500
    assert intake.calls == 2  # the intake takes at most 1,000 at a time
    assert intake.duplicates == 0
    # Running the same day again (same seed) re-sends the same ids: nothing new to store.
    again = generate_day(day.operator, day.scenario, day.service_date, day.seed, 300)
    play(again, IntakeSink(intake), clock)
    assert len(intake.stored) == len(stream)
    assert intake.duplicates == len(stream)


def test_several_days_play_as_one_ordered_stream(operator: OperatorConfig) -> None:
    days = [generate_day(operator, Scenario(), date(2025, 3, 14) + timedelta(days=k), seed=4,
                         deliveries=150) for k in range(3)]
    sink = CollectingSink()
    start = first_event_at(days)
    assert start is not None
    result = play(days, sink, VirtualClock(start))
    times = [at(e) for e in sink.events]
    assert times == sorted(times)
    assert len({e["id"] for e in sink.events}) == result.sent == len(sink.events)
    assert result.sent == sum(len(list(day_events(day))) for day in days)
    created = {e["data"]["service_date"] for e in sink.events if e["type"] == "delivery.created"}
    assert created == {"2025-03-14", "2025-03-15", "2025-03-16"}
