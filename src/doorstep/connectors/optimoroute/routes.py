"""A `get_routes` route (contracts/optimoroute.md §6.1) in doorstep's words: `route.planned`
with its stops, and the driver it names. OptimoRoute has no route id: a route is one driver's
day, `<driverSerial>:<YYYY-MM-DD>`. Pure; doorstep's ids come from the caller."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from doorstep.connectors.optimoroute import times
from doorstep.connectors.optimoroute.orders import Context
from doorstep.connectors.received import Unmappable

DEFAULT_START = time(8, 0)  # a route whose stops have no planned time (not seen in practice)


def platform_route_id(serial: str, day: date | str) -> str:
    return f"{serial}:{day}"


def split_route_id(platform_id: str) -> tuple[str, date]:
    serial, _, day = platform_id.rpartition(":")
    try:
        return serial, date.fromisoformat(day)
    except ValueError:
        raise ValueError(f"not an OptimoRoute route id (<driverSerial>:<date>): "
                         f"{platform_id!r}") from None


def serial_of(route: dict[str, Any]) -> str:
    serial = route.get("driverSerial")
    if serial in (None, ""):
        raise Unmappable("route without driverSerial")
    return str(serial)


def order_stops(route: dict[str, Any]) -> list[dict[str, Any]]:
    """The stops that are orders (a break or a depot visit has a `type` and no orderNo)."""
    return [s for s in route.get("stops") or []
            if isinstance(s, dict) and s.get("orderNo") not in (None, "")]


def depot_of(ctx: Context, route: dict[str, Any], stop_depots: list[str]) -> str:
    """The driver's depot in the mapping, else the depot most of its stops belong to."""
    mapped = ctx.depot_of(route.get("driverSerial"), route.get("driverExternalId"))
    if mapped != ctx.mapping.default_depot or not stop_depots:
        return mapped
    return max(sorted(set(stop_depots)), key=stop_depots.count)


def route_planned(ctx: Context, route: dict[str, Any], day: date, route_id: str, depot: str,
                  driver_id: str, vehicle_id: str | None,
                  delivery: Callable[[str], str | None]) -> dict[str, Any] | None:
    """The route's `route.planned` data; None when none of its stops is a delivery."""
    tz = ctx.zone(depot)
    stops: list[dict[str, Any]] = []
    seen: set[str] = set()
    start: datetime | None = None
    for stop in order_stops(route):
        delivery_id = delivery(str(stop["orderNo"]))
        if delivery_id is None or delivery_id in seen:
            continue
        seen.add(delivery_id)
        planned = (times.local(stop.get("scheduledAtDt"), tz)
                   or _at_hhmm(day, stop.get("scheduledAt"), tz))
        if start is None and planned is not None:
            travel = stop.get("travelTime")
            start = planned - timedelta(seconds=travel if isinstance(travel, int) and
                                        not isinstance(travel, bool) and travel > 0 else 0)
        item: dict[str, Any] = {"delivery_id": delivery_id, "sequence": len(stops) + 1}
        if planned is not None:
            item["planned_arrival"] = planned.isoformat()
        stops.append(item)
    if not stops:
        return None
    start = start or times.on_day(day, DEFAULT_START, tz)
    out: dict[str, Any] = {"route_id": route_id, "depot": depot,
                           "service_date": day.isoformat(),
                           "planned_start": start.isoformat(), "driver_id": driver_id,
                           "stops": stops}
    minutes = route.get("duration")
    if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes > 0:
        out["planned_end"] = (start + timedelta(minutes=float(minutes))).isoformat()
    if vehicle_id:
        out["vehicle_id"] = vehicle_id
    return out


def driver_upserted(route_or_event: dict[str, Any], driver_id: str,
                    depot: str) -> dict[str, Any]:
    """What OptimoRoute tells of a driver: a serial and a name (no phone, no language)."""
    name = str(route_or_event.get("driverName") or "").strip() or f"Driver {driver_id}"
    return {"driver_id": driver_id, "name": name[:200], "depot": depot}


def _at_hhmm(day: date, text: Any, tz: Any) -> datetime | None:
    at = times.hhmm(text)
    return times.on_day(day, at, tz) if at is not None else None
