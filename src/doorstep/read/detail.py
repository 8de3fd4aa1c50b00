"""One delivery with its timeline; one route with its stops in order — as the asker may see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain.access import Principal
from doorstep.store.tables import (
    attempts,
    deliveries,
    depots,
    dispositions,
    drivers,
    events,
    held_windows,
    markets,
    messages,
    recipients,
    routes,
    shippers,
    stops,
    vehicles,
)


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # event | attempt | disposition | message
    title: str
    detail: str


@dataclass
class DeliveryDetail:
    delivery: Any
    shipper_name: str
    market: Any
    recipient: Any
    timeline: list[TimelineEntry]
    held: list[Any]  # the arrival window the recipient holds, one per route it was on


def visible_delivery(s: Session, delivery_id: str, who: Principal) -> Any | None:
    """The delivery row, or None when it does not exist or is not the asker's to see (the two
    look the same from outside: a shipper cannot learn that another shipper's delivery exists)."""
    where = [deliveries.c.id == delivery_id]
    shipper = who.shipper_scope()
    if shipper is not None:
        where.append(deliveries.c.shipper_id == shipper)
    return s.execute(sa.select(deliveries).where(*where)).first()


def delivery_detail(s: Session, delivery_id: str, who: Principal) -> DeliveryDetail | None:
    row = visible_delivery(s, delivery_id, who)
    if row is None:
        return None
    entries: list[TimelineEntry] = []
    for e in s.execute(sa.select(events.c.type, events.c.occurred_at, events.c.source,
                                 events.c.status, events.c.note)
                       .where(events.c.subject == f"delivery:{delivery_id}")):
        entries.append(TimelineEntry(e.occurred_at, "event", e.type.replace(".", " "),
                                     f"from {e.source} · {_text(e.status)}"
                                     + (f" · {e.note}" if e.note else "")))
    for a in s.execute(sa.select(attempts).where(attempts.c.delivery_id == delivery_id)):
        what = _text(a.outcome)
        if a.failure_reason:
            what += f": {_text(a.failure_reason)}"
        detail = a.notes or ("proof of delivery" if a.pod_photo_url or a.pod_signature_url
                             else "")
        entries.append(TimelineEntry(a.occurred_at, "attempt", f"attempt {a.number} — {what}",
                                     detail))
    for d in s.execute(sa.select(dispositions)
                       .where(dispositions.c.delivery_id == delivery_id)):
        entries.append(TimelineEntry(d.decided_at, "disposition", f"disposition: {_text(d.kind)}",
                                     d.notes or ""))
    for m in s.execute(sa.select(messages.c.created_at, messages.c.channel, messages.c.purpose,
                                 messages.c.status, messages.c.direction, messages.c.body,
                                 messages.c.suppressed_reason, messages.c.error_code)
                       .where(messages.c.subject_type == "delivery",
                              messages.c.subject_id == delivery_id)):
        why = m.suppressed_reason or m.error_code
        status = _text(m.status) + (f" ({_text(why)})" if why else "")
        entries.append(TimelineEntry(m.created_at, "message",
                                     f"{_text(m.direction)} {_text(m.channel)}: {m.purpose}",
                                     status + (f" · “{m.body}”" if m.body else "")))
    held = list(s.execute(sa.select(held_windows)
                          .where(held_windows.c.delivery_id == delivery_id)
                          .order_by(held_windows.c.sent_at, held_windows.c.route_id)))
    for h in held:
        entries.append(TimelineEntry(h.sent_at, "window", "arrival window sent",
                                     f"route {h.route_id}"))
        if h.updates:
            entries.append(TimelineEntry(h.changed_at, "window", "arrival window changed",
                                         f"route {h.route_id} · {h.updates} updates in all"))
    entries.sort(key=lambda e: (e.at, e.kind))
    shipper_name = s.scalar(sa.select(shippers.c.name).where(shippers.c.id == row.shipper_id))
    market = s.execute(sa.select(markets).where(markets.c.id == row.market_id)).one()
    recipient = s.execute(sa.select(recipients.c.name, recipients.c.phone, recipients.c.email,
                                    recipients.c.language)
                          .where(recipients.c.id == row.recipient_id)).first()
    return DeliveryDetail(row, shipper_name or row.shipper_id, market, recipient, entries, held)


@dataclass
class RouteDetail:
    route: Any
    market: Any
    depot_name: str
    driver_name: str | None
    vehicle: Any | None
    stops: list[Any]
    partial: bool  # a shipper sees its own stops only


def route_detail(s: Session, route_id: str, who: Principal) -> RouteDetail | None:
    route = s.execute(sa.select(routes).where(routes.c.id == route_id)).first()
    if route is None:
        return None
    stmt = (sa.select(stops.c.sequence, stops.c.status, stops.c.planned_arrival, stops.c.eta,
                      stops.c.arrived_at, stops.c.completed_at, deliveries.c.id.label("delivery_id"),
                      deliveries.c.shipper_id, deliveries.c.address_line1,
                      deliveries.c.address_city, deliveries.c.status.label("delivery_status"),
                      deliveries.c.time_sensitive)
            .join(deliveries, deliveries.c.id == stops.c.delivery_id)
            .where(stops.c.route_id == route_id).order_by(stops.c.sequence))
    shipper = who.shipper_scope()
    if shipper is not None:
        stmt = stmt.where(deliveries.c.shipper_id == shipper)
    stop_rows = list(s.execute(stmt))
    if shipper is not None and not stop_rows:
        return None  # a route that carries none of this shipper's deliveries is not theirs
    market = s.execute(sa.select(markets).where(markets.c.id == route.market_id)).one()
    depot_name = s.scalar(sa.select(depots.c.name).where(depots.c.id == route.depot_id))
    driver_name = (s.scalar(sa.select(drivers.c.name).where(drivers.c.id == route.driver_id))
                   if route.driver_id else None)
    vehicle = (s.execute(sa.select(vehicles).where(vehicles.c.id == route.vehicle_id)).first()
               if route.vehicle_id and who.sees_operations else None)
    return RouteDetail(route, market, depot_name or route.depot_id, driver_name, vehicle,
                       stop_rows, partial=shipper is not None)


def _text(value: Any) -> str:
    return str(getattr(value, "value", value)).replace("_", " ")
