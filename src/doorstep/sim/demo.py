"""The demo feed of `make run`: today's simulated operation played into the running service,
resuming where the last run stopped."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from doorstep.clock import VirtualClock
from doorstep.runtime import Runtime, generic_webhook_secret
from doorstep.sim.platforms import PlatformPlay, PlatformSink, attach, make_play
from doorstep.sim.player import PlayResult, first_event_at, play
from doorstep.sim.progress import progress_bar
from doorstep.sim.run import Plan, build_days, fast_until
from doorstep.sim.sinks import EventSink, HttpSink, SinkError
from doorstep.store import cursors

if TYPE_CHECKING:
    from doorstep.serving import Feed

log = logging.getLogger(__name__)

SAVE_EVERY = 2000  # events sent between two saves of the resume point


def demo_feed(*, seed: int, deliveries: int, speed: float, scenario: Path | None,
              platform: str | None = None) -> Feed:
    """`platform`: play the day as that route platform — its fake is driven and doorstep hears
    of the day through the platform's connector, as an operator on that platform would."""

    def feed(rt: Runtime, base_url: str, stop: threading.Event) -> None:
        plan = Plan(scenario=scenario, seed=seed, deliveries=deliveries, service_date=None,
                    speed=speed)
        days = build_days(rt.settings, plan, rt.clock)
        name = (f"sim.demo:{days[0].service_date.isoformat()}:{seed}:{deliveries}:"
                f"{days[0].run_key}" + (f":{platform}" if platform else ""))
        with rt.db.reading() as s:
            saved = cursors.get(s, name)
        resume = datetime.fromisoformat(saved) if saved else None
        if resume is not None and platform:
            # The platform's fake keeps nothing across a restart: the tasks of the morning are
            # not on it. The day is played again from its start; doorstep knows the repeats.
            resume = None
        start = resume or first_event_at(days)
        assert start is not None
        log.info("simulator: playing %s (%d deliveries, seed %d) at %gx%s%s",
                 days[0].service_date, deliveries, seed, speed,
                 f", resuming at {resume.isoformat()}" if resume else "",
                 f", as {platform}" if platform else "")
        clock = VirtualClock(start, speed)
        generic = HttpSink(base_url, generic_webhook_secret(rt.settings), retries=2)
        played: PlatformPlay | None = None
        if platform:
            played = make_play(platform, rt.operator, clock, seed)
            played.start()
            attach(rt, played)
            played.connect(rt, base_url)
        sink = _UntilStopped(PlatformSink(played, rt, generic) if played else generic, stop)
        reached = [start]  # the virtual time of the last batch the service acknowledged
        saver = Every(SAVE_EVERY)

        def keep(at: datetime) -> None:
            with rt.db.transaction() as s:
                cursors.put(s, name, at.isoformat(), rt.clock.now())

        def update(done: int, total: int | None, now: datetime) -> None:
            bar(done, total, now)
            if saver.due(done):  # now and then, so a kill -9 loses little
                keep(now)
            reached[0] = now

        result: PlayResult | None = None
        tz = rt.operator.markets[0].timezone
        try:
            with progress_bar("today's operation", 0, tz) as bar:
                result = play(days, sink, clock, speed=speed, start_at=resume,
                              fast_until=fast_until(days), progress=update, stop=stop)
        except _Stopped:
            pass
        except BaseException:
            if played is not None:
                played.stop()
            raise
        finally:
            if result is not None and not result.stopped:
                # A finished day is kept as finished: the next start sends nothing more of it.
                keep(clock.now() + timedelta(seconds=1))
            else:
                keep(reached[0])  # events after it are re-sent; doorstep ignores the repeats
        log.info("simulator: %s after %d events", "day complete" if result and not result.stopped
                 else "paused", result.sent if result else sink.sent)
        if played is not None:
            # The platform stays up while the service runs: its connector still syncs, fetches
            # and writes back after the day's last event.
            stop.wait()
            played.stop()

    return feed


class Every:
    """Says when at least `step` more have been done since it last said so (counts come in
    batches, so they seldom land on a multiple of `step`)."""

    def __init__(self, step: int, done: int = 0) -> None:
        self.step = step
        self.last = done

    def due(self, done: int) -> bool:
        if done - self.last < self.step:
            return False
        self.last = done
        return True


class _Stopped(Exception):
    pass


class _UntilStopped:
    """Sends nothing once the service is shutting down (it no longer takes requests)."""

    def __init__(self, inner: EventSink, stop: threading.Event) -> None:
        self.inner = inner
        self.stop = stop
        self.sent = 0

    def send(self, batch: list[dict[str, Any]]) -> None:
        if self.stop.is_set():
            raise _Stopped
        try:
            self.inner.send(batch)
        except SinkError:
            if self.stop.is_set():
                raise _Stopped from None
            raise
        self.sent += len(batch)
