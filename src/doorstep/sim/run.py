"""`doorstep simulate`: play simulated days into doorstep, in this process or over HTTP."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.clock import Clock, SystemClock, VirtualClock
from doorstep.config import Settings
from doorstep.runtime import Runtime, generic_webhook_secret
from doorstep.sim.fakes.serving import Served
from doorstep.sim.generator import generate_day
from doorstep.sim.model import SimDay
from doorstep.sim.platforms import PlatformSink, attach, make_play
from doorstep.sim.player import PlayResult, expected_event_count, first_event_at, play
from doorstep.sim.progress import progress_bar
from doorstep.sim.scenario import load_scenario
from doorstep.sim.sinks import EventSink, FanoutSink, HttpSink, IntakeSink
from doorstep.sim.summary import DaySummary
from doorstep.store import event_log
from doorstep.store.migrate import upgrade
from doorstep.store.sql import count_by
from doorstep.store.tables import deliveries, exceptions, held_windows, messages, routes
from doorstep.web.app import create_app


@dataclass
class Plan:
    scenario: Path | None
    seed: int
    deliveries: int
    service_date: date | None
    days: int = 1
    speed: float = 0.0  # 0: as fast as possible
    target: str | None = None
    show_progress: bool = True
    platform: str | None = None  # play the day as this route platform (sim/platforms)


def operator_today(settings: Settings, clock: Clock | None = None) -> date:
    """Today where the operator's first market is."""
    tz = ZoneInfo(settings.operator.markets[0].timezone)
    return (clock or SystemClock()).now().astimezone(tz).date()


def build_days(settings: Settings, plan: Plan, clock: Clock | None = None) -> list[SimDay]:
    """The plan's days; without a service date, from today (read on `clock`) onwards."""
    scenario = load_scenario(plan.scenario)
    first = plan.service_date or operator_today(settings, clock)
    return [generate_day(settings.operator, scenario, first + timedelta(days=i), plan.seed,
                         plan.deliveries) for i in range(plan.days)]


def fast_until(days: list[SimDay]) -> datetime | None:
    """Paced play skips ahead through the quiet evening and night before the first shift."""
    starts = [s.starts_ts for day in days for s in day.shifts]
    return datetime.fromtimestamp(min(starts) - 1800, tz=ZoneInfo("UTC")) if starts else None


def simulate(settings: Settings, plan: Plan, stop: threading.Event | None = None) -> dict[str, Any]:
    """Play the plan; return the simulated figures beside what doorstep recorded."""
    days = build_days(settings, plan)
    start = first_event_at(days)
    assert start is not None, "a simulated day always has events"
    clock = VirtualClock(start, plan.speed)
    summary = DaySummary(settings.operator)
    rt: Runtime | None = None
    http: HttpSink | None = None
    as_platform: AsPlatform | None = None
    try:
        if plan.target:
            http = HttpSink(plan.target, generic_webhook_secret(settings))
            sink: EventSink = http
        elif plan.platform:
            as_platform = AsPlatform(settings, plan.platform, clock, plan.seed)
            rt = as_platform.rt
            sink = as_platform.sink
        else:
            rt = Runtime.build(settings, clock=clock, immediate=True)
            upgrade(rt.db)
            rt.sync_operator()
            sink = IntakeSink(rt.intake)
        started = time.perf_counter()
        total = expected_event_count(days)
        tz = settings.operator.markets[0].timezone
        result: PlayResult
        if plan.show_progress:
            with progress_bar("simulating", total, tz) as update:
                result = play(days, FanoutSink(sink, summary), clock, speed=plan.speed,
                              fast_until=fast_until(days), progress=update, stop=stop,
                              total=total)
        else:
            result = play(days, FanoutSink(sink, summary), clock, speed=plan.speed,
                          fast_until=fast_until(days), stop=stop, total=total)
        wall = time.perf_counter() - started
        recorded = (recorded_figures(rt, [d.service_date for d in days]) if rt
                    else remote_figures(plan.target))
    finally:
        if http is not None:
            http.close()
        if as_platform is not None:
            as_platform.stop()
        elif rt is not None:
            rt.db.dispose()
    return {"seed": plan.seed, "deliveries_per_day": plan.deliveries, "days": plan.days,
            "platform": plan.platform or "generic",
            "speed": plan.speed or "as fast as possible", "stopped_early": result.stopped,
            "wall_seconds": round(wall, 2), "events_sent": result.sent,
            "simulated": summary.as_dict(), "doorstep": recorded}


class AsPlatform:
    """doorstep served on a local port, a route platform's fake beside it, the connector
    between them: the simulated day reaches doorstep only the way that platform would tell it."""

    def __init__(self, settings: Settings, platform: str, clock: Clock, seed: int) -> None:
        self.play = make_play(platform, settings.operator, clock, seed)
        self.play.start()
        self.served = Served("doorstep")
        try:
            self.rt = Runtime.build(settings, clock=clock, immediate=True)
            attach(self.rt, self.play)
            upgrade(self.rt.db)
            self.rt.sync_operator()
            url = self.served.start(create_app(self.rt))
            self.play.connect(self.rt, url)
        except BaseException:
            self.stop()
            raise
        self.sink = PlatformSink(self.play, self.rt, IntakeSink(self.rt.intake))

    def stop(self) -> None:
        self.served.stop()
        self.play.stop()
        rt = getattr(self, "rt", None)
        if rt is not None:
            rt.close_connectors()
            rt.db.dispose()


def recorded_figures(rt: Runtime, service_dates: list[date]) -> dict[str, Any]:
    """What doorstep's database says about the simulated days."""
    with rt.db.reading() as s:
        return {
            "deliveries_by_status": count_by(s, deliveries.c.status,
                                             deliveries.c.service_date.in_(service_dates)),
            "routes_by_status": count_by(s, routes.c.status,
                                         routes.c.service_date.in_(service_dates)),
            "exceptions_by_kind": count_by(s, exceptions.c.kind),
            "messages_by_purpose": count_by(s, messages.c.purpose),
            "events_by_status": event_log.count_by_status(s),
            "windows_held": windows_held(s, service_dates),
        }


def windows_held(s: Session, service_dates: list[date]) -> dict[str, Any]:
    """How the windows recipients held at arrival turned out."""
    h = held_windows.c
    rows = s.execute(sa.select(h.hit, h.window_start, h.window_end, h.updates)
                     .where(h.service_date.in_(service_dates), h.hit.is_not(None))).all()
    if not rows:
        return {"arrivals": 0}
    widths = sorted((r.window_end - r.window_start).total_seconds() / 60 for r in rows)
    return {"arrivals": len(rows), "inside": sum(bool(r.hit) for r in rows),
            "hit_rate": round(sum(bool(r.hit) for r in rows) / len(rows), 4),
            "median_width_min": widths[len(widths) // 2],
            "updates_per_delivery": round(sum(r.updates for r in rows) / len(rows), 4)}


def remote_figures(target: str | None) -> dict[str, Any]:
    if not target:
        return {}
    try:
        return dict(httpx.get(target.rstrip("/") + "/status.json", timeout=10).json())
    except (httpx.HTTPError, ValueError) as err:
        return {"unavailable": f"{type(err).__name__}: {err}"}
