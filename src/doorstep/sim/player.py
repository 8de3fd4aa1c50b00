"""Play a simulated day into a sink, in order of occurred_at, on a virtual clock.

The day's stream is a lazy merge of a few small streams (reference facts, crew answers) and one
stream per route, so memory stays flat however many events the day has. At speed 0 the day goes
as fast as the sink takes it and the clock is moved to each batch's last event; at speed > 0 each
event waits until the clock (which runs by itself at that speed) reaches its time.
"""

from __future__ import annotations

import heapq
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from doorstep.clock import Clock
from doorstep.sim.crew import crew_stream
from doorstep.sim.model import Item, SimDay
from doorstep.sim.reference import reference_stream
from doorstep.sim.routeplay import route_stream
from doorstep.sim.sinks import EventSink

Progress = Callable[[int, int | None, datetime], None]

# ETA updates per delivery that the default drift gives (0.49 at 2,000 deliveries, 0.55 at
# 50,000); only used to size a progress bar.
ETA_UPDATES_PER_DELIVERY = 0.55


Days = SimDay | Sequence[SimDay]

# Each day's streams are numbered apart, so items of days played together never tie.
_STREAMS_PER_DAY = 10_000_000


def day_items(days: Days) -> Iterator[Item]:
    """The items of one day, or of several merged (the evening before day 2 happens while day 1
    is still on the road)."""
    if isinstance(days, SimDay):
        return _one_day(days)
    return heapq.merge(*(_renumbered(_one_day(day), k * _STREAMS_PER_DAY)
                         for k, day in enumerate(days)))


def _one_day(day: SimDay) -> Iterator[Item]:
    streams = [reference_stream(day), crew_stream(day), *(route_stream(day, r) for r in day.routes)]
    return heapq.merge(*streams)


def _renumbered(items: Iterator[Item], offset: int) -> Iterator[Item]:
    for ts, stream, seq, event in items:
        yield ts, stream + offset, seq, event


def day_events(days: Days) -> Iterator[dict[str, Any]]:
    """Every event of the day(s), in non-decreasing occurred_at, made as they are reached."""
    for item in day_items(days):
        yield item[3]


def expected_event_count(days: Days) -> int:
    """About how many events `day_events` makes (exact for the plan, expected for the road)."""
    if not isinstance(days, SimDay):
        return sum(expected_event_count(day) for day in days)
    day = days
    sc = day.scenario
    n = len(day.deliveries)
    planned = len(day.drivers) + len(day.vehicles) + len(day.shifts) + n + len(day.routes)
    crew = sum((s.confirm_reply is not None) + (s.callout is not None and s.callout[1] != "reply")
               + len(s.offer_replies) for s in day.shifts)
    ex = sc.exceptions
    exceptions = sum(spec.rate for spec in (ex.breakdown, ex.road_closure, ex.incident,
                                            ex.capacity_overrun))
    per_route = 4 + 2 * exceptions
    rs = sc.recipients
    per_delivery = (2 + (ETA_UPDATES_PER_DELIVERY if sc.drift.eta_lookahead_stops else 0)
                    + rs.phone_share * (rs.notice_reply_rate
                                        + sc.outcomes.failure_rate * rs.reply_after_failure_rate))
    return round(planned + crew + len(day.routes) * per_route + n * per_delivery)


def first_event_at(days: Days) -> datetime | None:
    """When the first event happens: where a clock for playing the day(s) should start."""
    for ts, *_ in day_items(days):
        return datetime.fromtimestamp(ts, UTC)
    return None


@dataclass
class PlayResult:
    sent: int  # events handed to the sink
    skipped: int  # events before `start_at`
    stopped: bool  # the stop flag ended the play early
    resume_at: datetime | None  # pass as `start_at` to go on where a stopped play left off


def play(days: Days, sink: EventSink, clock: Clock, *, speed: float = 0.0,
         start_at: datetime | None = None, fast_until: datetime | None = None,
         progress: Progress | None = None, batch_size: int = 250,
         stop: threading.Event | None = None, total: int | None = None,
         max_span: timedelta = timedelta(minutes=5)) -> PlayResult:
    """Feed the events of a day (or of several days, merged) into `sink` in batches, in
    occurred_at order.

    speed: 0 = as fast as possible (the clock, if it can be set, follows the events); > 0 =
    `clock` must run by itself at `speed` virtual seconds per real second (a VirtualClock made
    with that speed), and each event waits for its time. `fast_until`: events before it go at
    once even when paced (the evening before, say). `start_at`: events before it are skipped (a
    resumed day; doorstep ignores the few re-sent ones by their ids). `stop`: set it from another
    thread (Ctrl-C) and play returns within a quarter of a second. A batch never spans more than
    `max_span` of virtual time, so the clock moves in small steps even at full speed.
    """
    if batch_size < 1:
        raise ValueError("batch_size: expected 1 or more")
    if speed > 0 and getattr(clock, "speed", speed) <= 0:
        raise ValueError("speed > 0 needs a clock that runs by itself (VirtualClock(start, speed))")
    stop = stop or threading.Event()
    total = expected_event_count(days) if total is None else total
    start_ts = start_at.timestamp() if start_at else None
    fast_ts = fast_until.timestamp() if fast_until else None
    set_clock = getattr(clock, "set", None)
    batch: list[dict[str, Any]] = []
    first_ts = last_ts = 0
    sent = skipped = 0

    def flush() -> None:
        nonlocal sent
        if set_clock is not None and (speed <= 0 or (fast_ts is not None and last_ts < fast_ts)):
            set_clock(datetime.fromtimestamp(last_ts, UTC))
        sink.send(batch)
        sent += len(batch)
        batch.clear()
        if progress is not None:
            progress(sent, total, datetime.fromtimestamp(last_ts, UTC))

    for ts, _, _, event in day_items(days):
        if start_ts is not None and ts < start_ts:
            skipped += 1
            continue
        paced = speed > 0 and (fast_ts is None or ts >= fast_ts)
        if batch and (len(batch) >= batch_size or ts - first_ts > max_span.total_seconds()
                      or (paced and ts > clock.now().timestamp())):
            flush()
        if stop.is_set() or (paced and not _wait_until(clock, ts, speed, stop)):
            return PlayResult(sent, skipped, True, datetime.fromtimestamp(
                first_ts if batch else ts, UTC))
        if not batch:
            first_ts = ts
        batch.append(event)
        last_ts = ts
    if batch:
        flush()
    return PlayResult(sent, skipped, False, None)


def _wait_until(clock: Clock, ts: float, speed: float, stop: threading.Event) -> bool:
    """Wait (real time) until the clock reaches `ts`; False if stopped first."""
    while True:
        behind = ts - clock.now().timestamp()
        if behind <= 0:
            return True
        if stop.wait(min(behind / speed, 0.25)):
            return False
