"""What recipients were told, and how well, per market and day: the Recipients page's figures.

- **Window hit rate**: of the arrivals on a service day, the share inside the window the
  recipient held at arrival (`held_windows.hit`, decided once when the arrival is written).
  Also the median width of the window held and the window updates per delivery, over every
  delivery that held a window that day.
- **"Where is my parcel"**: incoming messages read as asking where the parcel is (context
  `wismo`), on the market's local date they came in, counted and per 1,000 of that market's
  deliveries of that service date. An incoming message's market is the one of its sender's
  latest delivery (set by `messaging.inbound.receive`).

A shipper's user sees its own deliveries' windows and the messages sent to its own numbers
(as on the Messages page).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Direction
from doorstep.domain.access import Principal
from doorstep.read.days import day_bounds, local_today
from doorstep.read.today import market_rows
from doorstep.store.sql import epoch_seconds
from doorstep.store.tables import deliveries, held_windows, messages

DAYS = 14
BUCKET = 900  # seconds: a quarter hour divides every time zone's offset from UTC


@dataclass
class DayFigures:
    day: date
    deliveries: int = 0
    held: int = 0  # deliveries that held a window
    arrivals: int = 0  # of those, arrived (hit decided)
    hits: int = 0
    updates: int = 0
    median_width: int | None = None  # minutes
    wismo: int = 0

    @property
    def hit_rate(self) -> float | None:
        """Percent, one decimal; None on a day without arrivals."""
        return round(100 * self.hits / self.arrivals, 1) if self.arrivals else None

    @property
    def updates_per_delivery(self) -> float | None:
        return round(self.updates / self.held, 2) if self.held else None

    @property
    def wismo_per_1000(self) -> float | None:
        return round(1000 * self.wismo / self.deliveries, 1) if self.deliveries else None


@dataclass
class MarketFigures:
    id: str
    name: str
    timezone: str
    days: list[DayFigures]  # oldest first, the market's local today last

    @property
    def total(self) -> DayFigures:
        """The whole period as one day (the median width is left out)."""
        out = DayFigures(self.days[-1].day)
        for d in self.days:
            out.deliveries += d.deliveries
            out.held += d.held
            out.arrivals += d.arrivals
            out.hits += d.hits
            out.updates += d.updates
            out.wismo += d.wismo
        return out

    def chart(self) -> dict[str, list[Any]]:
        return {"days": [d.day.isoformat() for d in self.days],
                "hit_rate": [d.hit_rate for d in self.days],
                "wismo_per_1000": [d.wismo_per_1000 for d in self.days]}


def _median(widths: dict[int, int]) -> int | None:
    """The median of values given as {value: how many} (the lower one of an even count)."""
    n = sum(widths.values())
    if not n:
        return None
    seen = 0
    for value in sorted(widths):
        seen += widths[value]
        if 2 * seen >= n:
            return value
    return None  # pragma: no cover - the loop always returns


def _windows(s: Session, first: date, last: date, shipper: str | None,
             into: dict[tuple[str, date], DayFigures]) -> None:
    hit = sa.func.sum(sa.case((held_windows.c.hit.is_(True), 1), else_=0))
    width = ((epoch_seconds(held_windows.c.window_end)
              - epoch_seconds(held_windows.c.window_start)) // 60).label("width")
    stmt = (sa.select(held_windows.c.market_id, held_windows.c.service_date, width,
                      sa.func.count(), sa.func.count(held_windows.c.hit), hit,
                      sa.func.sum(held_windows.c.updates))
            .where(held_windows.c.service_date >= first, held_windows.c.service_date <= last)
            .group_by(held_windows.c.market_id, held_windows.c.service_date, width))
    if shipper is not None:
        stmt = (stmt.join(deliveries, deliveries.c.id == held_windows.c.delivery_id)
                .where(deliveries.c.shipper_id == shipper))
    widths: dict[tuple[str, date], dict[int, int]] = defaultdict(dict)
    for market, day, minutes, n, arrivals, hits, updates in s.execute(stmt):
        d = into.get((market, day))
        if d is None:
            continue  # a day outside this market's own fortnight
        d.held += int(n)
        d.arrivals += int(arrivals)
        d.hits += int(hits or 0)
        d.updates += int(updates or 0)
        widths[(market, day)][int(minutes)] = int(n)
    for key, w in widths.items():
        into[key].median_width = _median(w)


def _deliveries(s: Session, first: date, last: date, shipper: str | None,
                into: dict[tuple[str, date], DayFigures]) -> None:
    stmt = (sa.select(deliveries.c.market_id, deliveries.c.service_date, sa.func.count())
            .where(deliveries.c.service_date >= first, deliveries.c.service_date <= last)
            .group_by(deliveries.c.market_id, deliveries.c.service_date))
    if shipper is not None:
        stmt = stmt.where(deliveries.c.shipper_id == shipper)
    for market, day, n in s.execute(stmt):
        if (market, day) in into:
            into[(market, day)].deliveries = int(n)


def _wismo(s: Session, start: datetime, end: datetime, zones: dict[str, ZoneInfo],
           shipper: str | None, into: dict[tuple[str, date], DayFigures]) -> None:
    bucket = (epoch_seconds(messages.c.created_at) // BUCKET).label("bucket")
    stmt = (sa.select(messages.c.market_id, bucket, sa.func.count())
            .where(messages.c.direction == Direction.INBOUND,
                   messages.c.created_at >= start, messages.c.created_at < end,
                   messages.c.market_id.is_not(None),
                   messages.c.context["wismo"].as_boolean().is_(True))
            .group_by(messages.c.market_id, bucket))
    if shipper is not None:
        stmt = stmt.where(messages.c.shipper_id == shipper)
    for market, b, n in s.execute(stmt):
        zone = zones.get(market)
        if zone is None:
            continue
        day = datetime.fromtimestamp(int(b) * BUCKET, UTC).astimezone(zone).date()
        if (market, day) in into:
            into[(market, day)].wismo += int(n)


def notify_figures(s: Session, now: datetime, who: Principal,
                   days: int = DAYS) -> list[MarketFigures]:
    """Every market's last `days` service days, each ending on its own local today."""
    out: list[MarketFigures] = []
    cells: dict[tuple[str, date], DayFigures] = {}
    zones: dict[str, ZoneInfo] = {}
    for market in market_rows(s):
        today = local_today(now, market.timezone)
        row = [DayFigures(today - timedelta(days=k)) for k in range(days - 1, -1, -1)]
        cells.update({(market.id, d.day): d for d in row})
        zones[market.id] = ZoneInfo(market.timezone)
        out.append(MarketFigures(market.id, market.name, market.timezone, row))
    if not out:
        return out
    first = min(m.days[0].day for m in out)
    last = max(m.days[-1].day for m in out)
    shipper = who.shipper_scope()
    _windows(s, first, last, shipper, cells)
    _deliveries(s, first, last, shipper, cells)
    start = min(day_bounds(m.days[0].day, m.timezone)[0] for m in out)
    end = max(day_bounds(m.days[-1].day, m.timezone)[1] for m in out)
    _wismo(s, start, end, zones, shipper, cells)
    return out
