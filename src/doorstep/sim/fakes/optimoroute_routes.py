"""The fake OptimoRoute's day: drivers, routes, planning and the driver app's events
(contracts/optimoroute.md §6-§8, §9.1 status machine, §11). `optimoroute_state.py` adds the
order and completion methods on top."""

from __future__ import annotations

import random
import threading
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from doorstep.clock import Clock
from doorstep.sim.fakes.optimoroute_records import (
    DEFAULT_DURATION,
    DEFAULT_WORK,
    SPEED_KMH,
    Driver,
    Event,
    Order,
    Planning,
    Route,
    Stop,
    as_bool,
    as_date,
    as_hhmm,
    distance_m,
    local_dt,
    missing,
    need,
    not_found,
    polyline,
    stamp,
)


class RouteBook:
    """Orders, drivers, routes, plannings and the event log of one account, behind one lock."""

    def __init__(self, clock: Clock, rng: random.Random, tz: ZoneInfo,
                 center: tuple[float, float]) -> None:
        self.lock = threading.RLock()
        self.clock, self.rng, self.tz, self.center = clock, rng, tz, center
        self.public_url = "http://127.0.0.1"
        self.orders: dict[str, Order] = {}
        self.by_no: dict[str, list[str]] = {}
        self.drivers: dict[str, Driver] = {}
        self.routes: dict[tuple[date, str], Route] = {}
        self.placed: dict[str, tuple[date, str]] = {}  # order id → its route
        self.plannings: dict[int, Planning] = {}
        self.log: list[Event] = []

    # ---- lookups ------------------------------------------------------------------------

    def find(self, ref: dict[str, Any]) -> Order:
        """By `id` (which wins when both are sent, §3 ❓) or `orderNo` (the oldest order)."""
        if ref.get("id") not in (None, ""):
            order = self.orders.get(str(ref["id"]))
            if order is None:
                raise not_found(str(ref["id"]))
            return order
        if ref.get("orderNo") in (None, ""):
            raise missing("orderNo")
        ids = self.by_no.get(str(ref["orderNo"]))
        if not ids:
            raise not_found(str(ref["orderNo"]))
        return self.orders[ids[0]]

    def driver(self, serial: str | None = None, external_id: str | None = None) -> Driver | None:
        if serial is not None:
            return self.drivers.get(str(serial))
        return next((d for d in self.drivers.values()
                     if external_id is not None and d.external_id == external_id), None)

    def route_of(self, order: Order) -> Route | None:
        key = self.placed.get(order.id)
        return self.routes[key] if key else None

    def emit(self, kind: str, driver: Driver | None, order: Order | None,
             at: datetime | None = None, **extra: Any) -> Event:
        """Append to the log. An `at` earlier than events already logged is how a phone that
        was offline reports: late and out of order (§11.2.4)."""
        event = Event(kind, at or self.clock.now(), driver, order, extra)
        self.log.append(event)
        return event

    # ---- building routes ------------------------------------------------------------------

    def work_start(self, driver: Driver, day: date) -> datetime:
        text = driver.params.get(day, {}).get("workTimeFrom")
        start = as_hhmm(text, "workTimeFrom") if text else DEFAULT_WORK[0]
        return datetime.combine(day, start, tzinfo=self.tz)

    def rebuild(self, route: Route) -> None:
        """Times along the route at SPEED_KMH, waiting for each time window. A stop whose
        planned time moves while it is still to come raises `start_time_changed` (§11.1)."""
        driver = self.drivers[route.serial]
        params = driver.params.get(route.day, {})
        here = driver.start
        if "startLatitude" in params and "startLongitude" in params:
            here = (params["startLatitude"], params["startLongitude"])
        t = route.start = self.work_start(driver, route.day)
        for stop in route.stops:
            order = self.orders[stop.order_id]
            point = order.point
            metres = distance_m(here, point) if here and point else 0.0
            travel = round(metres / (SPEED_KMH / 3.6))
            arrival = t + timedelta(seconds=travel)
            scheduled = max(arrival, self._window_opens(order, arrival))
            stop.arrival, stop.scheduled = arrival, scheduled
            stop.travel_time, stop.distance = travel, round(metres)
            if order.planned not in (None, scheduled) and order.status in (
                    "scheduled", "on_route"):
                self.emit("start_time_changed", driver, order,
                          plannedStartTime=stamp(scheduled, self.tz))
            order.planned = scheduled
            t = scheduled + timedelta(minutes=float(order.data.get("duration",
                                                                   DEFAULT_DURATION)))
            here = point or here
        route.end = t

    def _window_opens(self, order: Order, arrival: datetime) -> datetime:
        for tw in order.data.get("timeWindows") or []:
            opens = datetime.combine(order.day, as_hhmm(tw["twFrom"], "twFrom"), tzinfo=self.tz)
            closes = datetime.combine(order.day, as_hhmm(tw["twTo"], "twTo"), tzinfo=self.tz)
            if arrival <= closes:
                return opens
        return arrival

    def place(self, order: Order, serial: str) -> Route:
        route = self.routes.setdefault((order.day, serial), Route(order.day, serial))
        route.stops.append(Stop(order.id))
        self.placed[order.id] = (order.day, serial)
        if order.status == "unscheduled":
            order.status = "scheduled"
        return route

    def unplace(self, order: Order) -> None:
        """Off its route; an order not yet started goes back to `unscheduled`."""
        route = self.route_of(order)
        if route is not None:
            self._take_off(route, {order.id})

    def _take_off(self, route: Route, ids: set[str]) -> None:
        route.stops = [s for s in route.stops if s.order_id not in ids]
        for order_id in ids:
            del self.placed[order_id]
            if self.orders[order_id].status == "scheduled":
                self.orders[order_id].status = "unscheduled"
        if route.stops:
            self.rebuild(route)
        else:
            del self.routes[(route.day, route.serial)]

    def unschedule_driver(self, driver: Driver, day: date) -> None:
        """§8 ❓: new parameters take the driver's route of that day off the plan (stops
        already started stay with the driver)."""
        route = self.routes.get((day, driver.serial))
        if route is not None:
            self._take_off(route, {s.order_id for s in route.stops
                                   if self.orders[s.order_id].status == "scheduled"})

    # ---- reading routes (§6) -------------------------------------------------------------

    def get_routes(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            day = as_date(need(query, "date"), "date")
            line = _flag(query, "includeRoutePolyline")
            out = []
            for (d, serial), route in sorted(self.routes.items()):
                driver = self.drivers[serial]
                wanted = (query.get("driverSerial", serial) == serial
                          and query.get("driverExternalId", driver.external_id)
                          == driver.external_id
                          and query.get("vehicleRegistration", self._vehicle(driver, d))
                          == self._vehicle(driver, d))
                if d == day and wanted:
                    out.append(self._route_json(route, line))
            return {"success": True, "routes": out}

    def _vehicle(self, driver: Driver, day: date) -> str | None:
        return driver.params.get(day, {}).get("assignedVehicle") or driver.vehicle_registration

    def _route_json(self, route: Route, line: bool) -> dict[str, Any]:
        driver = self.drivers[route.serial]
        orders = [self.orders[s.order_id] for s in route.stops]
        out: dict[str, Any] = {
            "driverSerial": driver.serial, "driverExternalId": driver.external_id,
            "driverName": driver.name, "vehicleRegistration": self._vehicle(driver, route.day),
            "vehicleLabel": driver.vehicle_label,
            "duration": round(((route.end or route.start) - route.start).total_seconds() / 60)
            if route.start else 0,
            "distance": round(sum(s.distance for s in route.stops) / 1000, 1),
        }
        for n in range(1, 5):
            out[f"load{n}"] = sum(o.data.get(f"load{n}", 0) for o in orders)
        if line:
            out["routePolyline"] = polyline([o.point for o in orders if o.point])
        out["stops"] = [self._stop_json(i + 1, s) for i, s in enumerate(route.stops)]
        return out

    def _stop_json(self, number: int, stop: Stop) -> dict[str, Any]:
        order = self.orders[stop.order_id]
        loc = order.data["location"]
        assert stop.scheduled is not None and stop.arrival is not None
        return {"stopNumber": number, "orderNo": order.order_no, "id": order.id,
                "locationNo": loc.get("locationNo"), "locationName": loc.get("locationName"),
                "address": loc.get("address"), "latitude": loc.get("latitude"),
                "longitude": loc.get("longitude"),
                "scheduledAt": stop.scheduled.astimezone(self.tz).strftime("%H:%M"),
                "scheduledAtDt": local_dt(stop.scheduled, self.tz),
                "arrivalTimeDt": local_dt(stop.arrival, self.tz),
                "travelTime": stop.travel_time, "distance": stop.distance}

    def schedule_of(self, order: Order) -> dict[str, Any] | None:
        route = self.route_of(order)
        if route is None:
            return None
        number, stop = next((i + 1, s) for i, s in enumerate(route.stops)
                            if s.order_id == order.id)
        driver = self.drivers[route.serial]
        info = {k: v for k, v in self._stop_json(number, stop).items() if k in (
            "stopNumber", "scheduledAt", "scheduledAtDt", "arrivalTimeDt", "travelTime",
            "distance")}
        return {"driverSerial": driver.serial, "driverExternalId": driver.external_id,
                "driverName": driver.name, "vehicleRegistration": self._vehicle(driver, route.day),
                "vehicleLabel": driver.vehicle_label, **info}

    def get_scheduling_info(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            info = self.schedule_of(self.find(query))
            if info is None:
                return {"success": True, "orderScheduled": False}
            return {"success": True, "orderScheduled": True, "scheduleInformation": info}


def _flag(query: dict[str, Any], name: str) -> bool:
    value = query.get(name)
    if value is None or isinstance(value, bool):
        return bool(value)
    if str(value).lower() not in ("true", "false", "1", "0"):
        return as_bool(value, name)
    return str(value).lower() in ("true", "1")
