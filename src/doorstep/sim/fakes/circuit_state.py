"""The team's data and the REST rules of the fake Circuit / Spoke Dispatch API (contracts/
circuit.md §3-§8, §12). No HTTP here, and no webhooks: changes that Spoke reports by webhook
are queued as `(type, created ms, Stop)` in `events` for `circuit_hooks.py`. Every method
takes the one lock. The plan life cycle (optimize, distribute, drive) is in `circuit_plans.py`.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from doorstep.clock import Clock
from doorstep.sim.fakes.circuit_records import (
    CircuitError,
    bad,
    bare,
    check_id,
    epoch,
    filters,
    geocode,
    new_id,
    page,
    plan_date,
    stop_input,
)

_PLAN_FIELDS = frozenset({"title", "starts", "drivers", "depot", "routeOverrides"})


def not_found(what: str) -> CircuitError:
    return CircuitError(404, f"{what} not found")


class CircuitState:
    def __init__(self, clock: Clock, rng: random.Random) -> None:
        self.clock = clock
        self.rng = rng
        self.lock = threading.RLock()
        self.page_secret = new_id(rng)
        self.depots: dict[str, dict[str, Any]] = {}
        self.main_depot: str | None = None
        self.drivers: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        self.stops: dict[str, dict[str, Any]] = {}  # by full id plans/P/stops/S
        self.routes: dict[str, dict[str, Any]] = {}
        self.operations: dict[str, dict[str, Any]] = {}
        self.unassigned: dict[str, dict[str, Any]] = {}
        self.events: list[tuple[str, int, dict[str, Any]]] = []

    def now(self) -> datetime:
        return self.clock.now()

    def fresh(self, collection: str) -> str:
        return f"{collection}/{new_id(self.rng)}"

    # ---- depots and drivers -------------------------------------------------------------------

    def add_depot(self, name: str, route_overrides: dict[str, Any] | None = None) -> str:
        with self.lock:
            depot_id = self.fresh("depots")
            self.depots[depot_id] = {"id": depot_id, "name": name,
                                     "routeOverrides": route_overrides}
            self.main_depot = self.main_depot or depot_id
            return depot_id

    def add_driver(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            unknown = set(body) - {"name", "displayName", "email", "phone", "depots",
                                   "routeOverrides", "active"}
            if unknown:
                raise bad(f"Unknown field {sorted(unknown)[0]}", sorted(unknown)[0])
            depots = body.get("depots") or ([self.main_depot] if self.main_depot else [])
            if not isinstance(depots, list) or len(depots) > 50:
                raise bad("depots must be a list of 1-50 depot ids", "depots")
            for depot in depots:
                self.depot(bare(depot, "depots", "depots"))
            driver_id = self.fresh("drivers")
            self.drivers[driver_id] = {
                "id": driver_id, "name": body.get("name"), "email": body.get("email"),
                "phone": body.get("phone"),
                "displayName": body.get("displayName") or body.get("name"),
                "active": bool(body.get("active", True)), "depots": list(depots),
                "routeOverrides": body.get("routeOverrides") or {
                    "startTime": None, "endTime": None, "startAddress": None,
                    "endAddress": None, "maxStops": None, "drivingSpeed": "average",
                    "deliverySpeed": "average", "vehicleType": "car"}}
            return copy.deepcopy(self.drivers[driver_id])

    def depot(self, depot_id: str) -> dict[str, Any]:
        with self.lock:
            found = self.depots.get(f"depots/{check_id(depot_id, 'depotId')}")
            if found is None:
                raise not_found("Depot")
            return copy.deepcopy(found)

    def driver(self, driver_id: str) -> dict[str, Any]:
        with self.lock:
            found = self.drivers.get(f"drivers/{check_id(driver_id, 'driverId')}")
            if found is None:
                raise not_found("Driver")
            return copy.deepcopy(found)

    # ---- plans (§8.2) ----------------------------------------------------------------------------

    def _plan(self, plan_id: str) -> dict[str, Any]:
        found = self.plans.get(f"plans/{check_id(plan_id, 'planId')}")
        if found is None:
            raise not_found("Plan")
        return found

    def plan(self, plan_id: str) -> dict[str, Any]:
        with self.lock:
            self.settle()
            return copy.deepcopy(self._plan(plan_id))

    def _plan_fields(self, body: Mapping[str, Any], plan: dict[str, Any]) -> None:
        unknown = set(body) - _PLAN_FIELDS
        if unknown:
            raise bad(f"Unknown field {sorted(unknown)[0]}", sorted(unknown)[0])
        if "title" in body:
            if not isinstance(body["title"], str) or not 1 <= len(body["title"]) <= 255:
                raise bad("title must be a string of 1-255 characters", "title")
            plan["title"] = body["title"]
        if "starts" in body:
            plan["starts"] = plan_date(body["starts"])
        if body.get("depot") is not None:
            self.depot(bare(body["depot"], "depots", "depot"))
            plan["depot"] = body["depot"]
        if "routeOverrides" in body:
            overrides = body["routeOverrides"]
            if overrides is not None and not isinstance(overrides, dict):
                raise bad("routeOverrides must be an object", "routeOverrides")
            plan["routeOverrides"] = overrides
        if "drivers" in body:  # §6: a present array replaces the whole list
            drivers = body["drivers"]
            if not isinstance(drivers, list) or len(drivers) > 50:
                raise bad("drivers must be a list of at most 50 driver ids", "drivers")
            for driver_id in drivers:
                driver = self.driver(bare(driver_id, "drivers", "drivers"))
                if plan["depot"] is not None and plan["depot"] not in driver["depots"]:
                    raise CircuitError(412, "Driver does not share depot with plan",
                                       param="drivers")  # §13: v1 only
            plan["drivers"] = list(dict.fromkeys(drivers))

    def create_plan(self, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            for key in ("title", "starts"):
                if key not in body:
                    raise bad(f"{key} is required", key)
            plan_id = self.fresh("plans")
            plan: dict[str, Any] = {
                "id": plan_id, "title": None, "starts": None, "depot": self.main_depot,
                "drivers": [], "routes": [], "distributed": False, "writable": True,
                "optimization": "creating", "routeOverrides": None}  # §14: initial value ❓
            self._plan_fields(body, plan)
            self.plans[plan_id] = plan
            return copy.deepcopy(plan)

    def update_plan(self, plan_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        with self.lock:
            plan = self._writable(plan_id)
            draft = copy.deepcopy(plan)
            self._plan_fields(body, draft)  # all or nothing: validate on a copy
            plan.update(draft)
            return copy.deepcopy(plan)

    def delete_plan(self, plan_id: str) -> None:
        with self.lock:
            plan = self._plan(plan_id)
            for route_id in plan["routes"]:  # §8.2: routes go too, writable or not
                self.routes.pop(route_id, None)
            for stop_id in [s for s in self.stops if s.startswith(plan["id"] + "/")]:
                del self.stops[stop_id]
            del self.plans[plan["id"]]

    def list_plans(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            self.settle()
            wanted = filters(query)
            bounds = {k: _iso_day(wanted[k], k) for k in ("startsGte", "startsLte") if k in wanted}
            items = []
            for plan in self.plans.values():
                day = date(plan["starts"]["year"], plan["starts"]["month"], plan["starts"]["day"])
                if "title" in wanted and plan["title"] != wanted["title"]:
                    continue
                if day < bounds.get("startsGte", date.min) or day > bounds.get(
                        "startsLte", date.max):
                    continue
                items.append(copy.deepcopy(plan))
            return page(items, "plans", query, self.page_secret)

    # ---- stops of a plan (§8.3) -------------------------------------------------------------------

    def _writable(self, plan_id: str) -> dict[str, Any]:
        self.settle()
        plan = self._plan(plan_id)
        if plan["optimization"] == "optimizing":
            raise CircuitError(409, "Plan optimization in progress",
                               "plan_optimization_in_progress")
        if not plan["writable"]:
            raise CircuitError(409, "Plan is not writable", "plan_not_writable")
        return plan

    def _check_allowed(self, plan: dict[str, Any], fields: dict[str, Any]) -> None:
        for driver_id in fields.get("allowedDrivers") or []:
            if driver_id not in plan["drivers"]:
                raise CircuitError(412, "Driver is not linked to plan", param="allowedDrivers")

    def _new_stop(self, plan: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
        self._check_allowed(plan, fields)
        stop_id = f"{plan['id']}/stops/{new_id(self.rng)}"
        stop = blank_stop(fields, self.rng)
        stop.update({"id": stop_id, "plan": plan["id"], "type": "stop",
                     "webAppLink": f"https://dispatch.spoke.com/{stop_id}"})
        self.stops[stop_id] = stop
        return stop

    def create_stop(self, plan_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            plan = self._writable(plan_id)
            return self.render(self._new_stop(plan, stop_input(body, update=False)))

    def import_stops(self, plan_id: str, body: Any) -> dict[str, Any]:
        """§8.3: 1-100 inputs; each one succeeds or fails on its own."""
        with self.lock:
            plan = self._writable(plan_id)
            if not isinstance(body, list) or not 1 <= len(body) <= 100:
                raise bad("Body must be an array of 1-100 stops")
            success, failed = [], []
            for item in body:
                try:
                    success.append(self._new_stop(plan, stop_input(item, update=False))["id"])
                except CircuitError as e:
                    echo = item if isinstance(item, dict) else {}
                    failed.append({"error": {"message": e.message},
                                   "stop": {"address": echo.get("address"),
                                            "recipient": echo.get("recipient")}})
            return {"success": success, "failed": failed}

    def _stop(self, plan_id: str, stop_id: str) -> dict[str, Any]:
        self._plan(plan_id)
        found = self.stops.get(f"plans/{plan_id}/stops/{check_id(stop_id, 'stopId')}")
        if found is None:
            raise not_found("Stop")
        return found

    def stop(self, plan_id: str, stop_id: str) -> dict[str, Any]:
        with self.lock:
            self.settle()
            return self.render(self._stop(plan_id, stop_id))

    def update_stop(self, plan_id: str, stop_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            plan = self._writable(plan_id)
            stop = self._stop(plan_id, stop_id)
            fields = stop_input(body, update=True)
            self._check_allowed(plan, fields)
            for key, value in fields.items():  # §6: absent fields stay as they are
                stop[key] = value
            return self.render(stop)

    def delete_stop(self, plan_id: str, stop_id: str) -> None:
        with self.lock:
            self._writable(plan_id)
            del self.stops[self._stop(plan_id, stop_id)["id"]]

    def list_stops(self, plan_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            self.settle()
            plan = self._plan(plan_id)
            stops = [s for s in self.stops.values() if s["plan"] == plan["id"]]
            return self._stop_page(stops, query)

    def _stop_page(self, stops: list[dict[str, Any]], query: Mapping[str, str]) -> dict[str, Any]:
        external = filters(query).get("externalId")
        items = [self.render(s) for s in stops
                 if external is None or s["recipient"]["externalId"] == external]
        return page(items, "stops", query, self.page_secret)

    def render(self, stop: dict[str, Any]) -> dict[str, Any]:
        """The Stop as sent: §7.2 embeds the whole Route, not its id."""
        out = copy.deepcopy(stop)
        route = self.routes.get(stop["route"]) if stop["route"] else None
        out["route"] = copy.deepcopy(route)
        return out

    # ---- unassigned stops (§8.4) ----------------------------------------------------------------

    def create_unassigned(self, body: Any, depot: str | None = None) -> dict[str, Any]:
        with self.lock:
            fields = stop_input(body, update=False)
            depot = depot or self.main_depot
            if depot is not None:
                self.depot(bare(depot, "depots", "depot"))
            stop = blank_stop(fields, self.rng)
            for key in ("route", "plan", "stopPosition", "eta", "deliveryInfo", "type",
                        "estimatedTravelDuration", "estimatedTravelDistance", "packageLabel",
                        "placeInVehicle", "webAppLink"):  # §7.3
                stop.pop(key, None)
            stop.update({"id": self.fresh("unassignedStops"), "depot": depot})
            self.unassigned[stop["id"]] = stop
            return copy.deepcopy(stop)

    def import_unassigned(self, body: Any) -> dict[str, Any]:
        with self.lock:
            if not isinstance(body, dict) or set(body) - {"unassignedStops", "depot"}:
                raise bad("Body must be {unassignedStops: [...], depot?}")
            items = body.get("unassignedStops")
            if not isinstance(items, list) or not 1 <= len(items) <= 100:
                raise bad("unassignedStops must be an array of 1-100 stops", "unassignedStops")
            if body.get("depot") is not None:
                self.depot(bare(body["depot"], "depots", "depot"))
            success, failed = [], []
            for item in items:
                try:
                    success.append(self.create_unassigned(item, body.get("depot"))["id"])
                except CircuitError as e:
                    failed.append({"error": {"message": e.message}, "unassignedStop": item})
            return {"success": success, "failed": failed}

    def unassigned_stop(self, stop_id: str) -> dict[str, Any]:
        with self.lock:
            found = self.unassigned.get(f"unassignedStops/{check_id(stop_id, 'id')}")
            if found is None:
                raise not_found("Unassigned stop")
            return copy.deepcopy(found)

    def list_unassigned(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            external = filters(query).get("externalId")
            items = [copy.deepcopy(s) for s in self.unassigned.values()
                     if external is None or s["recipient"]["externalId"] == external]
            return page(items, "unassignedStops", query, self.page_secret)

    def settle(self) -> None:
        """Overridden by the plan life cycle: finish optimizations whose time has come."""

    def emit(self, kind: str, stop: dict[str, Any]) -> None:
        self.events.append((kind, int(self.now().timestamp() * 1000), self.render(stop)))

    def stamp(self) -> int:
        return epoch(self.now())


def blank_stop(fields: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Every §7.2 field present, `null` when unknown (§7)."""
    recipient = fields.get("recipient") or {}
    timing = fields.get("timing") or {}
    return {
        "id": None, "plan": None, "type": "stop", "activity": fields.get("activity", "delivery"),
        "address": geocode(fields["address"], rng),
        "recipient": {k: recipient.get(k) for k in ("name", "email", "phone", "externalId")},
        "orderInfo": fields.get("orderInfo") or {
            "products": [], "invoiceNumber": None, "sellerName": None, "sellerOrderId": None,
            "sellerWebsite": None},
        "notes": fields.get("notes"), "packageCount": fields.get("packageCount"),
        "packageLabel": None, "barcodes": fields.get("barcodes", []), "placeInVehicle": None,
        "weight": fields.get("weight"), "allowedDrivers": fields.get("allowedDrivers", []),
        "timing": {"estimatedAttemptDuration": timing.get("estimatedAttemptDuration"),
                   "earliestAttemptTime": timing.get("earliestAttemptTime"),
                   "latestAttemptTime": timing.get("latestAttemptTime")},
        "optimizationOrder": fields.get("optimizationOrder", "default"), "stopPosition": None,
        "estimatedTravelDuration": None, "estimatedTravelDistance": None,
        "eta": {"status": "pending", "pendingReason": "not_optimized"}, "route": None,
        "deliveryInfo": None, "paymentOnDelivery": fields.get("paymentOnDelivery"),
        "proofOfAttemptRequirements": fields.get("proofOfAttemptRequirements") or {
            "enabled": None},
        "customProperties": fields.get("customProperties"), "trackingLink": None,
        "webAppLink": None, "clientId": fields.get("clientId"),
        "serviceInfo": fields.get("serviceInfo") or {"status": "empty"},
    }


def _iso_day(value: str, param: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad(f"filter.{param} must be YYYY-MM-DD", f"filter.{param}") from None

