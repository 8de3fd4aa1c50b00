"""A route's driver and vehicle, written to OptimoRoute (contracts/optimoroute.md §5.1, §7, §8).

OptimoRoute has no "move this route" method: a route is a driver's day. What its API allows,
in the order it is done here, each step only if reading the platform shows it is still needed:

1. the old driver is off for that date (`update_driver_parameters enabled:false`; doorstep
   reassigns a route when its driver called out), which takes their route off the plan (§8 ❓);
2. every order of the route is forced to the new driver (`assignedTo: {serial}`);
3. the vehicle, as the new driver's `assignedVehicle` for that date (§8 ❓), which also takes
   that driver's route of the date off the plan — hence before planning;
4. planning of those orders onto the new driver (`start_planning`, `startWith: CURRENT`).

Planning runs on OptimoRoute's side: the write is read back (`get_routes` of the new driver)
when it shows every order on the new route with the vehicle; until then `NotReadBack`, and the
outbox tries again later, when the finished planning makes the read succeed without a step.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from doorstep.connectors.base import NotReadBack, Write
from doorstep.connectors.optimoroute import routes as r
from doorstep.connectors.optimoroute.account import Account
from doorstep.connectors.optimoroute.client import chunks
from doorstep.domain import StopStatus
from doorstep.store.tables import stops


def assign_route(acct: Account, write: Write) -> dict[str, Any]:
    p = write.payload
    route_id = p["route_id"]
    old, day = r.split_route_id(acct.book.platform_ids("route", [route_id]).get(route_id,
                                                                              route_id))
    new = acct.book.platform_ids("driver", [p["driver_id"]]).get(p["driver_id"], p["driver_id"])
    plate = acct.book.plate_of(p["vehicle_id"]) or p["vehicle_id"] if p.get("vehicle_id") else None
    numbers = _orders_of(acct, route_id)
    if not numbers:
        raise NotReadBack(f"route {route_id} has no stops doorstep can name on OptimoRoute")
    on_new = _route(acct, new, day)
    placed = {str(s["orderNo"]) for s in r.order_stops(on_new or {})}
    if new != old and set(numbers) & {str(s["orderNo"]) for s in r.order_stops(
            _route(acct, old, day) or {})}:
        acct.client.post("update_driver_parameters",
                         {"serial": old, "date": day.isoformat(), "enabled": False})
    forced = acct.client.get_orders(numbers)
    stray = [n for n in numbers if (forced.get(n, {}).get("data") or {}).get(
        "assignedTo") != {"serial": new}]
    for part in chunks(stray):
        acct.client.post("create_or_update_orders", {"orders": [
            {"operation": "MERGE", "orderNo": n, "assignedTo": {"serial": new}} for n in part]})
    if plate and (on_new or {}).get("vehicleRegistration") != plate:
        acct.client.post("update_driver_parameters", {"serial": new, "date": day.isoformat(),
                                                      "enabled": True, "assignedVehicle": plate})
        placed = set()  # §8 ❓: the new parameters took the driver's route off the plan
    if not set(numbers) <= placed:
        acct.client.post("start_planning", {
            "date": day.isoformat(), "startWith": "CURRENT",
            "useDrivers": [{"driverSerial": new}],
            "useOrderObjects": [{"orderNo": n} for n in numbers]})
    acct.book.link("route", [(route_id, r.platform_route_id(new, day))])
    shown = _route(acct, new, day) or {}
    missing = set(numbers) - {str(s["orderNo"]) for s in r.order_stops(shown)}
    if missing or (plate and shown.get("vehicleRegistration") != plate):
        raise NotReadBack(f"{r.platform_route_id(new, day)} does not show yet "
                          f"{len(missing)} of {len(numbers)} orders"
                          + (f" or vehicle {plate}" if plate else "")
                          + " (OptimoRoute may still be planning)")
    return {"route": r.platform_route_id(new, day), "orders": len(numbers),
            "vehicleRegistration": shown.get("vehicleRegistration")}


def _route(acct: Account, serial: str, day: Any) -> dict[str, Any] | None:
    answer = acct.client.get("get_routes", date=day.isoformat(), driverSerial=serial)
    found = [x for x in answer.get("routes") or [] if isinstance(x, dict)
             and str(x.get("driverSerial")) == serial]
    return found[0] if found else None


def _orders_of(acct: Account, route_id: str) -> list[str]:
    """The route's orders: its stops in doorstep, each as the order it stands for now."""
    with acct.rt.db.reading() as s:
        ids = list(s.scalars(sa.select(stops.c.delivery_id).where(
            stops.c.route_id == route_id, stops.c.status != StopStatus.REMOVED)
            .order_by(stops.c.sequence)))
    linked = acct.book.platform_ids("delivery", ids)
    return [linked.get(i, i) for i in ids]
