"""The facts that reach doorstep before the day starts: fleet, shifts, orders, routes.

All of them happen the day before service (local time of each market): the fleet early in the
morning, shifts at midday, orders through the day, routes in the evening once the orders are in.
Orders are made one by one as the stream reaches them, never held as events all at once.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from typing import Any

from doorstep.domain import EventType
from doorstep.sim.model import Emitter, Item, SimDay, SimDelivery, iso, local_ts

REFERENCE_STREAM = 0

# What each planned fact is, in the order facts at the same instant should come out.
_DRIVER, _VEHICLE, _SHIFT, _DELIVERY, _ROUTE = range(5)


def reference_stream(day: SimDay) -> Iterator[Item]:
    em = Emitter(day, REFERENCE_STREAM)
    planned: list[tuple[float, int, int, int, Any]] = []
    for market in day.markets:
        at = local_ts(day.day_before, day.scenario.planning.fleet_updated_at, market.tz)
        for i, driver in enumerate(d for d in day.drivers if d.depot.market is market):
            planned.append((at + i, _DRIVER, i, 0, driver))
        for i, vehicle in enumerate(v for v in day.vehicles if v.depot.market is market):
            planned.append((at + i, _VEHICLE, i, 0, vehicle))
    for i, shift in enumerate(day.shifts):
        planned.append((shift.planned_at_ts, _SHIFT, i, 0, shift))
    for i, route in enumerate(day.routes):
        planned.append((route.planned_at_ts, _ROUTE, i, 0, route))
    planned.sort(key=lambda x: x[:4])

    def orders(depot_index: int) -> Iterator[tuple[float, int, int, int, Any]]:
        for k, d in enumerate(x for x in day.deliveries if x.depot.index == depot_index):
            yield d.created_ts, _DELIVERY, depot_index, k, d

    streams = [iter(planned), *(orders(depot.index) for depot in day.depots)]
    for at, kind, _, _, thing in heapq.merge(*streams, key=lambda x: x[:4]):
        if kind == _DELIVERY:
            yield _created(day, em, thing, at)
        elif kind == _DRIVER:
            tz = thing.depot.market.tz
            yield em.item("driver", thing.id, EventType.DRIVER_UPSERTED, at, tz, {
                "driver_id": thing.id, "name": thing.name, "depot": thing.depot.id,
                "phone": thing.phone, "on_call": thing.on_call, "active": True,
                "language": thing.language})
        elif kind == _VEHICLE:
            yield em.item("vehicle", thing.id, EventType.VEHICLE_UPSERTED, at,
                          thing.depot.market.tz, {
                              "vehicle_id": thing.id, "depot": thing.depot.id,
                              "vehicle_class": thing.vehicle_class.value,
                              "capacity": thing.capacity, "plate": thing.plate, "active": True})
        elif kind == _SHIFT:
            tz = thing.depot.market.tz
            yield em.item("shift", thing.id, EventType.SHIFT_PLANNED, at, tz, {
                "shift_id": thing.id, "depot": thing.depot.id,
                "service_date": day.service_date.isoformat(),
                "starts_at": iso(thing.starts_ts, tz), "ends_at": iso(thing.ends_ts, tz),
                "driver_id": thing.driver.id, "vehicle_id": thing.vehicle.id})
        else:
            tz = thing.depot.market.tz
            yield em.item("route", thing.id, EventType.ROUTE_PLANNED, at, tz, {
                "route_id": thing.id, "depot": thing.depot.id,
                "service_date": day.service_date.isoformat(),
                "planned_start": iso(thing.planned_start_ts, tz, minute=True),
                "planned_end": iso(thing.planned_end_ts, tz, minute=True),
                "driver_id": thing.shift.driver.id, "vehicle_id": thing.shift.vehicle.id,
                "shift_id": thing.shift.id,
                "stops": [{"delivery_id": d.id, "sequence": d.sequence,
                           "planned_arrival": iso(d.planned_ts, tz, minute=True)}
                          for d in thing.stops]})


def _created(day: SimDay, em: Emitter, d: SimDelivery, at: float) -> Item:
    tz = d.depot.market.tz
    who = day.recipient(d)
    recipient: dict[str, Any] = {"name": who.name, "language": who.language}
    if who.phone:
        recipient["phone"] = who.phone
    if who.email:
        recipient["email"] = who.email
    address: dict[str, Any] = {"line1": who.line1, "city": d.depot.city,
                               "postal_code": who.postal_code, "country": "US",
                               "lat": d.lat, "lon": d.lon}
    if who.line2:
        address["line2"] = who.line2
    if d.depot.region:
        address["region"] = d.depot.region
    data: dict[str, Any] = {
        "delivery_id": d.id, "shipper": d.shipper.id, "depot": d.depot.id,
        "service_date": day.service_date.isoformat(), "recipient": recipient, "address": address,
        "window_start": iso(d.window_start_ts, tz), "window_end": iso(d.window_end_ts, tz),
        "time_sensitive": d.time_sensitive,
    }
    if who.instructions:
        data["instructions"] = who.instructions
    return em.item("created", d.id, EventType.DELIVERY_CREATED, at, tz, data)
