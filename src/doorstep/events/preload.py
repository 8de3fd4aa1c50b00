"""What a batch of events touches, loaded in a few queries before any handler runs.

Handlers then find deliveries, routes, stops and the operator's reference data in memory
instead of one query (and one flush) per lookup. A key looked for and not found is remembered
as absent, so a new delivery costs no query either. On PostgreSQL the rows are locked here, in
key order, so concurrent workers neither interleave on one delivery nor deadlock.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from doorstep import domain as d
from doorstep.events.keys import recipient_id
from doorstep.store import tables as t

T = TypeVar("T")
CHUNK = 500

_KEYS: dict[type, sa.Column[Any]] = {
    d.Delivery: t.deliveries.c.id, d.Route: t.routes.c.id, d.Shift: t.shifts.c.id,
    d.Driver: t.drivers.c.id, d.Vehicle: t.vehicles.c.id, d.RouteException: t.exceptions.c.id,
    d.Recipient: t.recipients.c.id,
}


class Preloaded:
    def __init__(self, session: Session, lock: bool) -> None:
        self.session = session
        self.lock = lock
        self.known: dict[tuple[type, Any], Any] = {}
        self.later: dict[str, Any] = {}  # processing.Later, by key: work after the batch

    def get(self, cls: type[T], key: Any) -> T | None:
        marker = (cls, key)
        if marker in self.known:
            return self.known[marker]  # type: ignore[no-any-return]
        found = self.session.get(cls, key, with_for_update=self.lock or None)
        self.known[marker] = found
        return found

    def add(self, entity: Any, key: Any) -> None:
        self.session.add(entity)
        # Inserted now: the mapping has no relationships, so a later flush would not know to
        # insert a recipient before the delivery that refers to it.
        self.session.flush()
        self.known[(type(entity), key)] = entity

    def load(self, cls: type, keys: Iterable[Any]) -> list[Any]:
        wanted = sorted({k for k in keys if k is not None and (cls, k) not in self.known})
        column = _KEYS[cls]
        loaded: list[Any] = []
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            stmt: sa.Select[Any] = sa.select(cls).where(column.in_(chunk))
            if cls is d.Delivery:
                stmt = stmt.options(selectinload(d.Delivery.attempts))  # type: ignore[arg-type]
            if self.lock:
                stmt = stmt.order_by(column).with_for_update()
            found = {getattr(e, "id"): e for e in self.session.scalars(stmt)}  # noqa: B009
            for key in chunk:
                self.known[(cls, key)] = found.get(key)
            loaded.extend(found.values())
        return loaded

    def on_route(self, route_id: str) -> list[d.Delivery]:
        """The deliveries planned on a route, among those loaded (see `preload`)."""
        return [x for (cls, _), x in self.known.items()
                if cls is d.Delivery and x is not None and x.route_id == route_id]

    def load_everything(self, cls: type) -> None:
        """Small tables of the operator's set-up: all of it, once a batch."""
        entity: Any
        for entity in self.session.scalars(sa.select(cls)):
            self.known[(cls, getattr(entity, "id"))] = entity  # noqa: B009

    def load_stops(self, deliveries: list[d.Delivery]) -> None:
        on_route = [x for x in deliveries if x.route_id is not None]
        ids = sorted({x.id for x in on_route})
        found: dict[tuple[str, str], d.Stop] = {}
        for start in range(0, len(ids), CHUNK):
            stmt = sa.select(d.Stop).where(t.stops.c.delivery_id.in_(ids[start:start + CHUNK]))
            if self.lock:
                stmt = stmt.order_by(t.stops.c.route_id, t.stops.c.delivery_id).with_for_update()
            found.update({(s.route_id, s.delivery_id): s for s in self.session.scalars(stmt)})
        for x in on_route:
            key = (x.route_id, x.id)
            self.known[(d.Stop, key)] = found.get(key)  # type: ignore[arg-type]


def preload(pre: Preloaded, events: list[d.Event]) -> None:
    """Load what the events refer to, by the subjects and ids they name."""
    keys: dict[str, set[str]] = {}
    for event in events:
        if event.subject:
            kind, _, key = event.subject.partition(":")
            keys.setdefault(kind, set()).add(key)
        if event.type == d.EventType.DELIVERY_CREATED.value:
            data = event.payload
            if isinstance(data.get("recipient"), dict) and isinstance(data.get("address"), dict):
                keys.setdefault("recipient", set()).add(
                    recipient_id(data["recipient"], data["address"]))
        if event.type == d.EventType.ROUTE_PLANNED.value:
            keys.setdefault("delivery", set()).update(
                s["delivery_id"] for s in event.payload.get("stops", []) if "delivery_id" in s)
    started = [e.subject.partition(":")[2] for e in events
               if e.type == d.EventType.ROUTE_STARTED.value and e.subject]
    if started:  # a route's start moves its deliveries: they are loaded (and locked) first
        keys.setdefault("delivery", set()).update(pre.session.scalars(
            sa.select(t.deliveries.c.id).where(t.deliveries.c.route_id.in_(started))))
    for reference in (d.Market, d.Depot, d.Shipper):
        pre.load_everything(reference)
    # Lock order, the same in every batch: events, deliveries, routes, the rest.
    deliveries: list[d.Delivery] = pre.load(d.Delivery, keys.get("delivery", ()))
    pre.load(d.Route, keys.get("route", set()) | {x.route_id for x in deliveries if x.route_id})
    pre.load(d.Recipient, keys.get("recipient", set()) | {x.recipient_id for x in deliveries})
    pre.load_stops(deliveries)
    for kind, cls in (("shift", d.Shift), ("driver", d.Driver), ("vehicle", d.Vehicle),
                      ("exception", d.RouteException)):
        pre.load(cls, keys.get(kind, ()))
