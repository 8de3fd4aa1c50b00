"""Lists of deliveries, routes, drivers and stored events, page by page — as the asker may see them.

Pages are keyset pages on the id (ascending): a page starts after the last id of the one before,
so a list walks every row once however deep it goes, and no page costs more than the first
(no OFFSET). A shipper principal is limited here, whatever filters were asked for: its own
deliveries, the routes that carry one of them (with its own stops only), the events about them,
and no drivers at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import DeliveryStatus, EventStatus, RouteStatus, StopStatus
from doorstep.domain.access import Principal
from doorstep.store.tables import deliveries, drivers, events, routes, stops

DELIVERY_SUBJECT = "delivery:"


class NotVisible(Exception):
    """The whole list is not the principal's to see (a shipper asking for the operator's staff)."""


@dataclass(frozen=True)
class Page:
    rows: list[sa.Row[Any]]
    more: bool  # rows follow the last one of this page


def _page(s: Session, stmt: sa.Select[Any], key: sa.ColumnElement[Any], after: Any | None,
          limit: int) -> Page:
    if after is not None:
        stmt = stmt.where(key > after)
    rows = list(s.execute(stmt.order_by(key).limit(limit + 1)))
    return Page(rows[:limit], len(rows) > limit)


def _equal(pairs: list[tuple[sa.ColumnElement[Any], Any]]) -> list[sa.ColumnElement[bool]]:
    """`column == value` for each filter that was given."""
    return [column == value for column, value in pairs if value is not None]


# --- deliveries -------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryFilter:
    market: str | None = None
    depot: str | None = None
    shipper: str | None = None
    status: DeliveryStatus | None = None
    day: date | None = None
    route: str | None = None


def _delivery_scope(who: Principal) -> list[sa.ColumnElement[bool]]:
    shipper = who.shipper_scope()
    return [] if shipper is None else [deliveries.c.shipper_id == shipper]


def delivery_page(s: Session, who: Principal, f: DeliveryFilter, after: str | None,
                  limit: int) -> Page:
    # A shipper naming another shipper gets nothing: the scope and the filter both apply.
    where = _delivery_scope(who) + _equal([
        (deliveries.c.market_id, f.market), (deliveries.c.depot_id, f.depot),
        (deliveries.c.shipper_id, f.shipper), (deliveries.c.status, f.status),
        (deliveries.c.service_date, f.day), (deliveries.c.route_id, f.route)])
    return _page(s, sa.select(deliveries).where(*where), deliveries.c.id, after, limit)


# --- routes -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RouteFilter:
    market: str | None = None
    depot: str | None = None
    status: RouteStatus | None = None
    day: date | None = None
    driver: str | None = None


def _own_stops(shipper: str, *where: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The route's stops (correlated to `routes`) that carry this shipper's deliveries."""
    return (sa.select(stops.c.delivery_id)
            .join(deliveries, deliveries.c.id == stops.c.delivery_id)
            .where(stops.c.route_id == routes.c.id, deliveries.c.shipper_id == shipper, *where))


def _own_count(shipper: str, name: str, where: sa.ColumnElement[bool]) -> sa.Label[Any]:
    return (_own_stops(shipper, where).with_only_columns(sa.func.count())
            .scalar_subquery().label(name))


def _route_select(who: Principal) -> sa.Select[Any]:
    """A route as the asker sees it. The operator sees the route's own counts and vehicle; a
    shipper sees the routes that carry at least one of its deliveries, counted over its own
    stops (as the Today page does), and no vehicle."""
    shipper = who.shipper_scope()
    if shipper is None:
        counts: list[sa.ColumnElement[Any]] = [routes.c.stop_count, routes.c.stops_done,
                                               routes.c.stops_failed]
        vehicle: sa.ColumnElement[Any] = routes.c.vehicle_id
    else:
        counts = [_own_count(shipper, "stop_count", stops.c.status != StopStatus.REMOVED),
                  _own_count(shipper, "stops_done", stops.c.status == StopStatus.DONE),
                  _own_count(shipper, "stops_failed", stops.c.status == StopStatus.FAILED)]
        vehicle = sa.null().label("vehicle_id")
    stmt = (sa.select(routes.c.id, routes.c.market_id, routes.c.depot_id, routes.c.service_date,
                      routes.c.status, routes.c.driver_id, drivers.c.name.label("driver_name"),
                      vehicle, routes.c.planned_start, routes.c.planned_end,
                      routes.c.started_at, routes.c.completed_at, *counts)
            .outerjoin(drivers, drivers.c.id == routes.c.driver_id))
    if shipper is not None:
        stmt = stmt.where(_own_stops(shipper).exists())
    return stmt


def route_page(s: Session, who: Principal, f: RouteFilter, after: str | None,
               limit: int) -> Page:
    where = _equal([(routes.c.market_id, f.market), (routes.c.depot_id, f.depot),
                    (routes.c.status, f.status), (routes.c.service_date, f.day),
                    (routes.c.driver_id, f.driver)])
    return _page(s, _route_select(who).where(*where), routes.c.id, after, limit)


def route_row(s: Session, route_id: str, who: Principal) -> sa.Row[Any] | None:
    """One route as `route_page` shows it; None when it does not exist or is not the asker's."""
    return s.execute(_route_select(who).where(routes.c.id == route_id)).first()


# --- drivers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class DriverFilter:
    market: str | None = None
    depot: str | None = None
    on_duty: bool | None = None
    on_call: bool | None = None


def _operations_only(who: Principal) -> None:
    if not who.sees_operations:
        raise NotVisible("drivers are the operator's staff")


def driver_page(s: Session, who: Principal, f: DriverFilter, after: str | None,
                limit: int) -> Page:
    _operations_only(who)
    where = _equal([(drivers.c.market_id, f.market), (drivers.c.depot_id, f.depot),
                    (drivers.c.on_duty, f.on_duty), (drivers.c.on_call, f.on_call)])
    return _page(s, sa.select(drivers).where(*where), drivers.c.id, after, limit)


def driver_row(s: Session, driver_id: str, who: Principal) -> sa.Row[Any] | None:
    _operations_only(who)
    return s.execute(sa.select(drivers).where(drivers.c.id == driver_id)).first()


# --- stored inbound events --------------------------------------------------------------------

@dataclass(frozen=True)
class EventFilter:
    source: str | None = None
    type: str | None = None
    status: EventStatus | None = None
    subject: str | None = None
    received_after: datetime | None = None  # at or after
    received_before: datetime | None = None  # strictly before


def _event_scope(who: Principal) -> list[sa.ColumnElement[bool]]:
    """A shipper sees the events about its own deliveries (their payloads carry its recipients'
    details, which are its to see) and nothing else: no routes, drivers or other shippers."""
    shipper = who.shipper_scope()
    if shipper is None:
        return []
    prefix = len(DELIVERY_SUBJECT)
    # The delivery is found by its primary key, cut out of the subject.
    about_own = sa.exists().where(
        deliveries.c.id == sa.func.substr(events.c.subject, prefix + 1),
        deliveries.c.shipper_id == shipper)
    return [sa.func.substr(events.c.subject, 1, prefix) == DELIVERY_SUBJECT, about_own]


def event_page(s: Session, who: Principal, f: EventFilter, after: int | None,
               limit: int) -> Page:
    where = _event_scope(who) + _equal([
        (events.c.source, f.source), (events.c.type, f.type), (events.c.status, f.status),
        (events.c.subject, f.subject)])
    if f.received_after is not None:
        where.append(events.c.received_at >= f.received_after)
    if f.received_before is not None:
        where.append(events.c.received_at < f.received_before)
    return _page(s, sa.select(events).where(*where), events.c.id, after, limit)


def event_row(s: Session, event_id: int, who: Principal) -> sa.Row[Any] | None:
    return s.execute(sa.select(events).where(events.c.id == event_id,
                                             *_event_scope(who))).first()
