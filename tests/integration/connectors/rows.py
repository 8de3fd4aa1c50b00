"""Reading doorstep's tables in the connector tests, whichever platform fed them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from doorstep.runtime import Runtime
from doorstep.store.tables import deliveries, drivers, events, platform_writes, routes


def one(rt: Runtime, table: sa.Table, key: str) -> Any:
    with rt.db.reading() as s:
        return s.execute(sa.select(table).where(table.c.id == key)).one_or_none()


def delivery(rt: Runtime, delivery_id: str) -> Any:
    return one(rt, deliveries, delivery_id)


def driver(rt: Runtime, driver_id: str) -> Any:
    return one(rt, drivers, driver_id)


def route(rt: Runtime, route_id: str) -> Any:
    return one(rt, routes, route_id)


def event_rows(rt: Runtime, source: str, **where: Any) -> list[Any]:
    """The events stored from `source`, in order, where each named column has the value."""
    with rt.db.reading() as s:
        q = sa.select(events).where(events.c.source == source).order_by(events.c.id)
        for key, value in where.items():
            q = q.where(getattr(events.c, key) == value)
        return list(s.execute(q).all())


def writes(rt: Runtime) -> list[Any]:
    with rt.db.reading() as s:
        return list(s.execute(sa.select(platform_writes).order_by(platform_writes.c.id)).all())
