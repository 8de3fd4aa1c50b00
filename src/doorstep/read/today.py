"""Today in a market, or in every market: the figures and lists of the Today page."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import (
    AttemptOutcome,
    DeliveryStatus,
    ExceptionStatus,
    RouteStatus,
    StopStatus,
)
from doorstep.domain.access import Principal
from doorstep.read.days import day_bounds, local_today
from doorstep.store.sql import epoch_seconds
from doorstep.store.tables import (
    attempts,
    deliveries,
    depots,
    drivers,
    exceptions,
    markets,
    routes,
    stops,
)

LIST_LIMIT = 50
BUCKET = 900  # seconds: a quarter hour divides every time zone's offset from UTC


@dataclass
class RouteProgress:
    id: str
    depot: str
    driver: str | None
    started_at: datetime | None
    stop_count: int
    stops_done: int
    stops_failed: int

    @property
    def percent(self) -> int:
        served = self.stops_done + self.stops_failed
        return round(100 * served / self.stop_count) if self.stop_count else 0


@dataclass
class MarketToday:
    id: str
    name: str
    timezone: str
    day: date
    now: datetime
    by_status: dict[str, int]
    hourly: list[tuple[int, int, int]]  # (local hour, delivered, failed)
    routes_by_status: dict[str, int]
    routes_in_progress: list[RouteProgress]
    drivers_on_duty: list[Any] | None  # None: not the principal's to see
    drivers_on_duty_count: int | None
    open_exceptions: list[Any] | None
    open_exceptions_count: int | None
    failed: list[Any] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.by_status.values())

    @property
    def done_share(self) -> int:
        """Deliveries settled today (delivered, failed, returned, cancelled), in percent."""
        open_ = sum(self.by_status[s] for s in ("pending", "scheduled", "out_for_delivery"))
        return round(100 * (self.total - open_) / self.total) if self.total else 0


def _market(s: Session, market_id: str) -> sa.Row[Any] | None:
    return s.execute(sa.select(markets).where(markets.c.id == market_id)).first()


def market_rows(s: Session) -> list[sa.Row[Any]]:
    return list(s.execute(sa.select(markets).order_by(markets.c.name)))


def _deliveries_where(market_id: str, day: date, who: Principal) -> list[sa.ColumnElement[bool]]:
    where = [deliveries.c.service_date == day, deliveries.c.market_id == market_id]
    shipper = who.shipper_scope()
    if shipper is not None:
        where.append(deliveries.c.shipper_id == shipper)
    return where


def status_counts(s: Session, market_id: str, day: date, who: Principal) -> dict[str, int]:
    counts = {status.value: 0 for status in DeliveryStatus}
    for status, n in s.execute(sa.select(deliveries.c.status, sa.func.count())
                               .where(*_deliveries_where(market_id, day, who))
                               .group_by(deliveries.c.status)):
        counts[str(getattr(status, "value", status))] = int(n)
    return counts


def hourly(s: Session, market_id: str, tz: str, day: date,
           who: Principal) -> list[tuple[int, int, int]]:
    start, end = day_bounds(day, tz)
    bucket = (epoch_seconds(attempts.c.occurred_at) // BUCKET).label("bucket")
    # From the day's deliveries in the market (an index) to their attempts (an index), rather
    # than from every attempt of the day to its delivery: a few times faster on a busy day.
    stmt = (sa.select(bucket, attempts.c.outcome, sa.func.count())
            .select_from(deliveries)
            .join(attempts, attempts.c.delivery_id == deliveries.c.id)
            .where(*_deliveries_where(market_id, day, who),
                   attempts.c.occurred_at >= start, attempts.c.occurred_at < end)
            .group_by(bucket, attempts.c.outcome))
    zone = ZoneInfo(tz)
    per_hour: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for b, outcome, n in s.execute(stmt):
        hour = datetime.fromtimestamp(int(b) * BUCKET, UTC).astimezone(zone).hour
        per_hour[hour][0 if str(outcome) in (AttemptOutcome.DELIVERED, "delivered") else 1] += n
    return [(h, per_hour[h][0], per_hour[h][1]) for h in range(24)]


def route_progress(s: Session, market_id: str, day: date, who: Principal,
                   status: RouteStatus = RouteStatus.IN_PROGRESS) -> list[RouteProgress]:
    base = [routes.c.market_id == market_id, routes.c.service_date == day,
            routes.c.status == status]
    shipper = who.shipper_scope()
    if shipper is None:
        stmt = (sa.select(routes.c.id, depots.c.name.label("depot"),
                          drivers.c.name.label("driver"), routes.c.started_at,
                          routes.c.stop_count, routes.c.stops_done, routes.c.stops_failed)
                .join(depots, depots.c.id == routes.c.depot_id)
                .outerjoin(drivers, drivers.c.id == routes.c.driver_id)
                .where(*base).order_by(routes.c.started_at, routes.c.id))
        return [RouteProgress(**row._mapping) for row in s.execute(stmt)]
    # A shipper sees the routes that carry its deliveries, and only its own stops on them.
    served = sa.func.sum(sa.case((stops.c.status == StopStatus.DONE, 1), else_=0))
    failed = sa.func.sum(sa.case((stops.c.status == StopStatus.FAILED, 1), else_=0))
    stmt = (sa.select(routes.c.id, depots.c.name.label("depot"),
                      drivers.c.name.label("driver"), routes.c.started_at,
                      sa.func.count().label("stop_count"), served.label("stops_done"),
                      failed.label("stops_failed"))
            .join(stops, stops.c.route_id == routes.c.id)
            .join(deliveries, deliveries.c.id == stops.c.delivery_id)
            .join(depots, depots.c.id == routes.c.depot_id)
            .outerjoin(drivers, drivers.c.id == routes.c.driver_id)
            .where(*base, deliveries.c.shipper_id == shipper,
                   stops.c.status != StopStatus.REMOVED)
            .group_by(routes.c.id, depots.c.name, drivers.c.name, routes.c.started_at)
            .order_by(routes.c.started_at, routes.c.id))
    return [RouteProgress(**{**row._mapping, "stops_done": int(row.stops_done or 0),
                             "stops_failed": int(row.stops_failed or 0)})
            for row in s.execute(stmt)]


def route_counts(s: Session, market_id: str, day: date, who: Principal) -> dict[str, int]:
    counts = {status.value: 0 for status in RouteStatus}
    stmt = (sa.select(routes.c.status, sa.func.count(sa.distinct(routes.c.id)))
            .where(routes.c.market_id == market_id, routes.c.service_date == day)
            .group_by(routes.c.status))
    shipper = who.shipper_scope()
    if shipper is not None:
        stmt = (stmt.join(stops, stops.c.route_id == routes.c.id)
                .join(deliveries, deliveries.c.id == stops.c.delivery_id)
                .where(deliveries.c.shipper_id == shipper))
    for status, n in s.execute(stmt):
        counts[str(getattr(status, "value", status))] = int(n)
    return counts


def failed_deliveries(s: Session, market_id: str, day: date, who: Principal,
                      limit: int = LIST_LIMIT) -> list[Any]:
    stmt = (sa.select(deliveries.c.id, deliveries.c.shipper_id, deliveries.c.address_city,
                      deliveries.c.attempt_count, deliveries.c.status_at,
                      attempts.c.failure_reason, deliveries.c.route_id)
            .outerjoin(attempts, sa.and_(attempts.c.delivery_id == deliveries.c.id,
                                         attempts.c.number == deliveries.c.attempt_count))
            .where(*_deliveries_where(market_id, day, who),
                   deliveries.c.status == DeliveryStatus.FAILED)
            .order_by(deliveries.c.status_at.desc(), deliveries.c.id).limit(limit))
    return list(s.execute(stmt))


def drivers_on_duty(s: Session, market_id: str, limit: int = LIST_LIMIT) -> tuple[list[Any], int]:
    where = [drivers.c.market_id == market_id, drivers.c.on_duty.is_(True)]
    count = s.scalar(sa.select(sa.func.count()).select_from(drivers).where(*where)) or 0
    rows = list(s.execute(sa.select(drivers.c.id, drivers.c.name, depots.c.name.label("depot"),
                                    drivers.c.duty_at)
                          .join(depots, depots.c.id == drivers.c.depot_id)
                          .where(*where).order_by(drivers.c.name).limit(limit)))
    return rows, int(count)


def open_exceptions(s: Session, market_id: str, limit: int = LIST_LIMIT) -> tuple[list[Any], int]:
    where = [exceptions.c.market_id == market_id,
             exceptions.c.status != ExceptionStatus.RESOLVED]
    count = s.scalar(sa.select(sa.func.count()).select_from(exceptions).where(*where)) or 0
    rows = list(s.execute(sa.select(exceptions).where(*where)
                          .order_by(exceptions.c.reported_at.desc()).limit(limit)))
    return rows, int(count)


def market_today(s: Session, market_id: str, now: datetime, who: Principal,
                 day: date | None = None) -> MarketToday | None:
    market = _market(s, market_id)
    if market is None:
        return None
    day = day or local_today(now, market.timezone)
    drivers_list: list[Any] | None = None
    drivers_count: int | None = None
    exceptions_list: list[Any] | None = None
    exceptions_count: int | None = None
    if who.sees_operations:
        drivers_list, drivers_count = drivers_on_duty(s, market_id)
        exceptions_list, exceptions_count = open_exceptions(s, market_id)
    return MarketToday(
        id=market.id, name=market.name, timezone=market.timezone, day=day, now=now,
        by_status=status_counts(s, market_id, day, who),
        hourly=hourly(s, market_id, market.timezone, day, who),
        routes_by_status=route_counts(s, market_id, day, who),
        routes_in_progress=route_progress(s, market_id, day, who),
        drivers_on_duty=drivers_list, drivers_on_duty_count=drivers_count,
        open_exceptions=exceptions_list, open_exceptions_count=exceptions_count,
        failed=failed_deliveries(s, market_id, day, who))


@dataclass
class MarketSummary:
    id: str
    name: str
    timezone: str
    day: date
    by_status: dict[str, int]
    routes_by_status: dict[str, int]
    drivers_on_duty: int | None
    open_exceptions: int | None

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


def all_markets(s: Session, now: datetime, who: Principal) -> list[MarketSummary]:
    """One line per market, each on its own local date."""
    out = []
    for market in market_rows(s):
        day = local_today(now, market.timezone)
        on_duty = exceptions_open = None
        if who.sees_operations:
            on_duty = int(s.scalar(sa.select(sa.func.count()).select_from(drivers).where(
                drivers.c.market_id == market.id, drivers.c.on_duty.is_(True))) or 0)
            exceptions_open = int(s.scalar(sa.select(sa.func.count()).select_from(exceptions)
                                           .where(exceptions.c.market_id == market.id,
                                                  exceptions.c.status
                                                  != ExceptionStatus.RESOLVED)) or 0)
        out.append(MarketSummary(
            id=market.id, name=market.name, timezone=market.timezone, day=day,
            by_status=status_counts(s, market.id, day, who),
            routes_by_status=route_counts(s, market.id, day, who),
            drivers_on_duty=on_duty, open_exceptions=exceptions_open))
    return out
