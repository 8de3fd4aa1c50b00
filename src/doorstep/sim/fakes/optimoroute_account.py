"""One fake OptimoRoute account: the API state plus planning (contracts/optimoroute.md §7)
and what the dispatcher and the drivers' app do during the day, which raises the §11 events
and walks the §9.1 status machine: unscheduled → scheduled → on_route → servicing →
success | failed | rejected, and cancelled."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from doorstep.sim.fakes.optimoroute_records import (
    ERR_PLAN_NOT_FOUND,
    FINAL,
    Driver,
    OptimoError,
    Order,
    Planning,
    Route,
    as_date,
    as_number,
    invalid,
    need,
)
from doorstep.sim.fakes.optimoroute_state import OptimoState

_CHOICES = {"balancing": {"OFF", "ON", "ON_FORCE"}, "balanceBy": {"WT", "NUM"},
            "startWith": {"EMPTY", "CURRENT"}, "lockType": {"NONE", "ROUTES", "RESOURCES"}}


class OptimoAccount(OptimoState):
    # ---- planning (§7) ---------------------------------------------------------------------

    def start_planning(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if "dateRange" in body:
                rng = body["dateRange"]
                if not isinstance(rng, dict):
                    raise invalid("dateRange")
                first = as_date(need(rng, "from"), "dateRange.from")
                last = as_date(need(rng, "to"), "dateRange.to")
                if last < first:
                    raise invalid("dateRange", "'to' is before 'from'")
                days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
            else:
                days = [as_date(need(body, "date"), "date")]
            for name, allowed in _CHOICES.items():
                if name in body and body[name] not in allowed:
                    raise invalid(name, "one of " + ", ".join(sorted(allowed)))
            if "balancingFactor" in body:
                as_number(body["balancingFactor"], "balancingFactor", 0, 1)
            drivers, missing_drivers = self._use_drivers(body)
            missing_orders: list[Any] = []
            bad: list[str] = []
            for day in days:
                chosen, gone = self._use_orders(body, day)
                missing_orders += gone
                bad += [o.order_no or o.id for o in chosen if o.point is None]
            planning = Planning(self.rng.randint(1_000_000, 9_999_999), days, dict(body))
            self.plannings[planning.id] = planning
            return {"success": True, "planningId": planning.id, "missingOrders": missing_orders,
                    "missingDrivers": missing_drivers, "ordersWithInvalidLocation": bad}

    def planning(self, value: Any) -> Planning:
        try:
            planning_id = int(value)
        except (TypeError, ValueError):
            raise invalid("planningId", "expected a number") from None
        planning = self.plannings.get(planning_id)
        if planning is None:
            raise OptimoError(ERR_PLAN_NOT_FOUND, f"Planning {planning_id} not found")
        return planning

    def planning_status(self, query: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            p = self.planning(need(query, "planningId"))
            return {"success": True, "status": p.status, "percentageComplete": p.percentage}

    def stop_planning(self, body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            p = self.planning(need(body, "planningId"))
            if p.status in ("N", "R"):
                p.status = "C"
            return {"success": True}

    def step_plannings(self) -> None:
        """Each running planning one status on: N → R (50 %) → F, which writes the routes."""
        with self.lock:
            for p in self.plannings.values():
                if p.status == "N":
                    p.status, p.percentage = "R", 50
                elif p.status == "R":
                    for day in p.days:
                        self._plan_day(p.options, day)
                    p.status, p.percentage = "F", 100

    def _use_drivers(self, body: dict[str, Any]) -> tuple[list[Driver], list[Any]]:
        if not body.get("useDrivers"):
            return list(self.drivers.values()), []
        found, gone = [], []
        for ref in body["useDrivers"]:
            d = self.driver(ref.get("driverSerial"), ref.get("driverExternalId")) if isinstance(
                ref, dict) else None
            (found.append(d) if d else gone.append(ref))
        return found, gone

    def _use_orders(self, body: dict[str, Any], day: date) -> tuple[list[Order], list[Any]]:
        refs = [{"orderNo": n} for n in body.get("useOrders") or []]
        refs += list(body.get("useOrderObjects") or [])
        if not refs:
            return [o for o in self.orders.values() if o.day == day and o.status in (
                "unscheduled", "scheduled")], []
        found, gone = [], []
        for ref in refs:
            try:
                order = self.find(ref if isinstance(ref, dict) else {})
            except OptimoError:
                gone.append(ref.get("orderNo") or ref.get("id") if isinstance(ref, dict) else ref)
                continue
            if order.day == day and order.status in ("unscheduled", "scheduled"):
                found.append(order)
        return found, gone

    def _plan_day(self, options: dict[str, Any], day: date) -> None:
        """A naive optimizer: forced drivers first, then the least loaded driver, stops in
        time-window order. `startWith: EMPTY` (default) replaces the day's plan (§7.1)."""
        drivers = [d for d in self._use_drivers(options)[0] if d.enabled(day)]
        chosen = [o for o in self._use_orders(options, day)[0] if o.point is not None]
        if options.get("startWith", "EMPTY") == "EMPTY":
            for route in [r for r in self.routes.values() if r.day == day]:
                self._take_off(route, {s.order_id for s in route.stops
                                       if self.orders[s.order_id].status == "scheduled"})
        todo = sorted((o for o in chosen if o.status == "unscheduled"), key=lambda o: (
            min((tw["twFrom"] for tw in o.data.get("timeWindows") or []), default="00:00"),
            o.order_no or "", o.seq))
        touched: set[tuple[date, str]] = set()
        for order in todo:
            forced = order.data.get("assignedTo") or {}
            target = self.driver(forced.get("serial"), forced.get("externalId")) if forced else None
            if target not in drivers:
                target = min(drivers, default=None, key=lambda d: len(
                    self.routes.get((day, d.serial), Route(day, d.serial)).stops))
            if target is not None:
                touched.add((day, self.place(order, target.serial).serial))
        for key in touched:
            self.rebuild(self.routes[key])

    # ---- the day, driven by a test or the simulator ---------------------------------------

    def add_driver(self, driver: Driver) -> None:
        with self.lock:
            self.drivers[driver.serial] = driver

    def _order(self, order_no: str) -> Order:
        return self.find({"orderNo": order_no})

    def _driver_of(self, order: Order) -> Driver:
        route = self.route_of(order)
        if route is None:
            raise ValueError(f"order {order.order_no} is not on a route")
        return self.drivers[route.serial]

    def duty(self, serial: str, on: bool, at: datetime | None = None) -> None:
        with self.lock:
            driver = self.drivers[serial]
            driver.on_duty = on
            self.emit("on_duty" if on else "off_duty", driver, None, at)

    def start_route(self, serial: str, day: date, at: datetime | None = None) -> None:
        """The driver starts the day's route (going on duty first if need be); the first stop
        becomes `on_route`."""
        with self.lock:
            route = self.routes.get((day, serial))
            if route is None:
                raise ValueError(f"driver {serial} has no route on {day}")
            if not self.drivers[serial].on_duty:
                self.duty(serial, True, at)
            self.emit("start_route", self.drivers[serial], None, at)
            self._next_on_route(route)

    def end_route(self, serial: str, day: date, at: datetime | None = None) -> None:
        with self.lock:
            if (day, serial) not in self.routes:
                raise ValueError(f"driver {serial} has no route on {day}")
            self.emit("end_route", self.drivers[serial], None, at)

    def _next_on_route(self, route: Route) -> None:
        statuses = [self.orders[s.order_id].status for s in route.stops]
        if "on_route" in statuses or "servicing" in statuses:
            return
        nxt = next((self.orders[s.order_id] for s in route.stops
                    if self.orders[s.order_id].status == "scheduled"), None)
        if nxt is not None:
            nxt.status = "on_route"

    def start_service(self, order_no: str, at: datetime | None = None) -> None:
        with self.lock:
            order = self._order(order_no)
            if order.status not in ("scheduled", "on_route"):
                raise ValueError(f"order {order_no} is {order.status}: service cannot start")
            order.status, order.start = "servicing", at or self.clock.now()
            self.emit("start_service", self._driver_of(order), order, at)

    def finish(self, order_no: str, status: str, form: dict[str, Any] | None,
               at: datetime | None = None) -> None:
        """`success`, `failed` or `rejected`; service starts first if it had not (a driver
        who rejects never starts it). The next stop becomes `on_route`."""
        with self.lock:
            order = self._order(order_no)
            if order.status in FINAL or order.status == "unscheduled":
                raise ValueError(f"order {order_no} is {order.status}")
            if status != "rejected" and order.status != "servicing":
                self.start_service(order_no, at)
            order.status, order.end, order.form = status, at or self.clock.now(), form
            self.emit(status, self._driver_of(order), order, at)
            route = self.route_of(order)
            if route is not None:
                self._next_on_route(route)

    def cancel(self, order_no: str) -> None:
        """Cancelled by the customer: no driver event exists for it (§11.1)."""
        with self.lock:
            order = self._order(order_no)
            order.status = "cancelled"
            route = self.route_of(order)
            if route is not None:
                self._next_on_route(route)
