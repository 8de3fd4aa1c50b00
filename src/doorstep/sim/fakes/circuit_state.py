"""The team's data and the REST rules of the fake Circuit / Spoke Dispatch API (contracts/
circuit.md §3-§8, §12): depots, drivers and plans here; stops in `circuit_stops.py`; the plan
life cycle (optimize, distribute, drive) in `circuit_plans.py`. No HTTP here, and no webhooks:
changes that Spoke reports by webhook are queued as `(type, created ms, Stop)` in `events` for
`circuit_hooks.py`. Every method takes the one lock.
"""

from __future__ import annotations

import copy
import random
import threading
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from doorstep.clock import Clock
from doorstep.sim.fakes.circuit_inputs import plan_date
from doorstep.sim.fakes.circuit_records import (
    CircuitError,
    bad,
    bare,
    check_id,
    epoch,
    filters,
    new_id,
    page,
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
        self.custom_properties: dict[str, dict[str, Any]] = {}  # §7.7, made in the dashboard
        self.pending: dict[str, dict[str, Any]] = {}  # live changes held until re-optimized
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

    def find(self, table: dict[str, dict[str, Any]], collection: str, raw: str,
             param: str, missing: CircuitError) -> dict[str, Any]:
        """The record a bare path id names (§3: a malformed id is a 400); a copy."""
        with self.lock:
            self.settle()
            found = table.get(f"{collection}/{check_id(raw, param)}")
            if found is None:
                raise missing
            return copy.deepcopy(found)

    def depot(self, depot_id: str) -> dict[str, Any]:
        return self.find(self.depots, "depots", depot_id, "depotId", not_found("Depot"))

    def driver(self, driver_id: str) -> dict[str, Any]:
        return self.find(self.drivers, "drivers", driver_id, "driverId", not_found("Driver"))

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

    def _idle(self, plan_id: str) -> dict[str, Any]:
        """The plan, unless an optimization of it is running (409)."""
        self.settle()
        plan = self._plan(plan_id)
        if plan["optimization"] == "optimizing":
            raise CircuitError(409, "Plan optimization in progress",
                               "plan_optimization_in_progress")
        return plan

    def _writable(self, plan_id: str) -> dict[str, Any]:
        plan = self._idle(plan_id)
        if not plan["writable"]:
            raise CircuitError(409, "Plan is not writable", "plan_not_writable")
        return plan

    def settle(self) -> None:
        """Overridden by the plan life cycle: finish optimizations whose time has come."""

    def stamp(self) -> int:
        return epoch(self.now())


def _iso_day(value: str, param: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise bad(f"filter.{param} must be YYYY-MM-DD", f"filter.{param}") from None

