"""The demo feed of `make run`: today's simulated operation played into the running service,
resuming where the last run stopped."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from doorstep.clock import VirtualClock
from doorstep.runtime import Runtime, generic_webhook_secret
from doorstep.sim.player import PlayResult, first_event_at, play
from doorstep.sim.progress import progress_bar
from doorstep.sim.run import Plan, build_days, fast_until
from doorstep.sim.sinks import HttpSink
from doorstep.store import cursors

if TYPE_CHECKING:
    from doorstep.serving import Feed

log = logging.getLogger(__name__)


def demo_feed(*, seed: int, deliveries: int, speed: float, scenario: Path | None) -> "Feed":
    def feed(rt: Runtime, base_url: str, stop: threading.Event) -> None:
        plan = Plan(scenario=scenario, seed=seed, deliveries=deliveries, service_date=None,
                    speed=speed)
        days = build_days(rt.settings, plan)
        name = f"sim.demo:{days[0].service_date.isoformat()}:{seed}:{deliveries}"
        with rt.db.reading() as s:
            saved = cursors.get(s, name)
        resume = datetime.fromisoformat(saved) if saved else None
        start = resume or first_event_at(days)
        assert start is not None
        log.info("simulator: playing %s (%d deliveries, seed %d) at %gx%s",
                 days[0].service_date, deliveries, seed, speed,
                 f", resuming at {resume.isoformat()}" if resume else "")
        clock = VirtualClock(start, speed)
        sink = HttpSink(base_url, generic_webhook_secret(rt.settings))

        def keep(result_at: datetime) -> None:
            with rt.db.transaction() as s:
                cursors.put(s, name, result_at.isoformat(), rt.clock.now())

        saved_at = [0]

        def update(done: int, total: int | None, now: datetime) -> None:
            bar(done, total, now)
            if done - saved_at[0] >= 2000:  # so a kill -9 loses little progress
                keep(now)
                saved_at[0] = done

        tz = rt.operator.markets[0].timezone
        with progress_bar("today's operation", 0, tz) as bar:
            result: PlayResult = play(days, sink, clock, speed=speed, start_at=resume,
                                      fast_until=fast_until(days), progress=update, stop=stop)
        # A finished day is kept as finished: the next start sends nothing more of it.
        keep(result.resume_at or clock.now() + timedelta(seconds=1))
        log.info("simulator: %s after %d events", "paused" if result.stopped else "day complete",
                 result.sent)

    return feed
