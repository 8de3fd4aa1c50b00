"""The plan life cycle of the fake Circuit / Spoke Dispatch (contracts/circuit.md §7.5-§7.6,
§8.2, §9, §10, §12): optimization as an asynchronous Operation that finishes when the clock
reaches it, distribution, and what the drivers do (start a route, attempt a stop), each queuing
the stop events Spoke would send."""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from doorstep.clock import Clock
from doorstep.sim.fakes.circuit_records import (
    DELIVERY_STATES,
    SUCCEEDED_STATES,
    CircuitError,
    bad,
    epoch,
    filters,
    new_id,
    page,
)
from doorstep.sim.fakes.circuit_state import not_found
from doorstep.sim.fakes.circuit_stops import StopsState

TRAVEL_SECONDS = 600  # fake drive between stops
TRAVEL_METRES = 4000
DEFAULT_ATTEMPT = 120
WINDOW = 900  # ETA earliest/latest either side of the estimate
_ORDER = {"first": 0, "default": 1, "last": 2}


class CircuitTeam(StopsState):
    def __init__(self, clock: Clock, rng: random.Random, *, timezone: str = "UTC",
                 optimize_seconds: float = 5.0, extra_events: bool = True,
                 recipient_notifications: bool = False) -> None:
        super().__init__(clock, rng)
        self.zone = ZoneInfo(timezone)
        self.optimize_seconds = optimize_seconds
        self.extra_events = extra_events
        self.recipient_notifications = recipient_notifications
        self._finish_at: dict[str, datetime] = {}

    # ---- reads (§8.4) ---------------------------------------------------------------------------

    def route(self, route_id: str) -> dict[str, Any]:
        return self.find(self.routes, "routes", route_id, "routeId", not_found("Route"))

    def list_routes(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            self.settle()
            return page([copy.deepcopy(r) for r in self.routes.values()], "routes", query,
                        self.page_secret)

    def route_stops(self, route_id: str, query: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            full = self.route(route_id)["id"]
            return self._stop_page(self._in_route(full), query)

    def _in_route(self, route_id: str) -> list[dict[str, Any]]:
        return sorted((s for s in self.stops.values() if s["route"] == route_id),
                      key=lambda s: s["stopPosition"] or 0)

    def operation(self, operation_id: str) -> dict[str, Any]:
        return self.find(self.operations, "operations", operation_id, "operationId",
                         CircuitError(404, "Operation not found", "operation_not_found"))

    def list_operations(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            self.settle()
            wanted = filters(query)
            if wanted.get("done", "true") not in ("true", "false"):
                raise bad("filter.done must be true or false", "filter.done")
            items = [copy.deepcopy(o) for o in self.operations.values()
                     if ("done" not in wanted or str(o["done"]).lower() == wanted["done"])
                     and ("type" not in wanted or o["type"] == wanted["type"])]
            return page(items, "operations", query, self.page_secret)

    # ---- optimization (§7.6, §8.2) --------------------------------------------------------------

    def optimize(self, plan_id: str, started_by: str = "api") -> dict[str, Any]:
        with self.lock:
            plan = self._idle(plan_id)
            if plan["optimization"] == "optimized":
                raise CircuitError(409, "Plan is already optimized", "plan_already_optimized")
            if not self._active_drivers(plan):
                raise CircuitError(409, "No drivers available", "no_drivers_available")
            if plan["depot"] is None or plan["depot"] not in self.depots:
                raise CircuitError(409, "Depot not found", "depot_not_found")
            op_id = self.fresh("operations")
            self.operations[op_id] = {
                "id": op_id, "type": "plan_optimization", "done": False, "result": None,
                "metadata": {"canceled": False, "startedAt": self.stamp(), "finishedAt": None,
                             "startedBy": started_by, "targetPlanId": plan["id"]}}
            plan["optimization"] = "optimizing"
            self._finish_at[op_id] = self.now() + timedelta(seconds=self.optimize_seconds)
            return copy.deepcopy(self.operations[op_id])

    def settle(self, force: bool = False) -> None:
        """Finish every running optimization whose time has come (or all, with `force`)."""
        with self.lock:
            now = self.now()
            for op_id, at in list(self._finish_at.items()):
                if force or now >= at:
                    del self._finish_at[op_id]
                    self._finish(self.operations[op_id])

    def cancel(self, operation_id: str) -> dict[str, Any]:
        with self.lock:
            op = self.operations[self.operation(operation_id)["id"]]
            if op["done"]:
                raise CircuitError(409, "Operation is already done", "operation_already_done")
            self._finish_at.pop(op["id"], None)
            op["done"] = True
            op["metadata"].update(canceled=True, finishedAt=self.stamp())
            op["result"] = {"code": "canceled", "message": "The optimization was canceled"}  # ❓
            plan = self.plans.get(op["metadata"]["targetPlanId"])
            if plan is not None:
                plan["optimization"] = "editing"
            return copy.deepcopy(op)

    def _active_drivers(self, plan: dict[str, Any]) -> list[str]:
        return [d for d in plan["drivers"] if self.drivers.get(d, {}).get("active")]

    def _finish(self, op: dict[str, Any]) -> None:
        op["done"] = True
        op["metadata"]["finishedAt"] = self.stamp()
        plan = self.plans.get(op["metadata"]["targetPlanId"])
        if plan is None:  # deleted while running
            op["result"] = {"code": "plan_not_found", "message": "Plan not found"}
            return
        drivers = self._active_drivers(plan)
        stops = sorted((s for s in self.stops.values() if s["plan"] == plan["id"]),
                       key=lambda s: (_ORDER[s["optimizationOrder"]], s["address"]["latitude"],
                                      s["address"]["longitude"], s["id"]))
        limit = (plan["routeOverrides"] or {}).get("maxStops") or len(stops)
        assigned: dict[str, list[dict[str, Any]]] = {d: [] for d in drivers}
        skipped = []
        for stop in stops:
            timing = stop["timing"]
            early, late = timing["earliestAttemptTime"], timing["latestAttemptTime"]
            candidates = [d for d in drivers if not stop["allowedDrivers"]
                          or d in stop["allowedDrivers"]]
            if early and late and (early["hour"], early["minute"]) > (late["hour"],
                                                                      late["minute"]):
                skipped.append({"id": stop["id"], "reason": "impossible_time_window"})
                continue
            candidates = [d for d in candidates if len(assigned[d]) < limit]
            if not candidates:
                skipped.append({"id": stop["id"], "reason": "impossible_number_of_stops"})
                continue
            assigned[min(candidates, key=lambda d: len(assigned[d]))].append(stop)
        for route_id in plan["routes"]:
            self.routes.pop(route_id, None)
        plan["routes"] = []
        for driver_id, route_stops in assigned.items():
            if route_stops:
                plan["routes"].append(self._route(plan, driver_id, route_stops))
        plan.update(optimization="optimized", writable=False)  # §14: flip point ❓
        op["result"] = {"numOptimizedStops": sum(len(v) for v in assigned.values()),
                        "skippedStops": skipped}

    def _route(self, plan: dict[str, Any], driver_id: str,
               stops: Sequence[dict[str, Any]]) -> str:
        route_id = self.fresh("routes")
        driver = self.drivers[driver_id]
        self.routes[route_id] = {
            "id": route_id, "title": f"{plan['title']} - {driver['name'] or driver_id}",
            "stopCount": len(stops), "driver": driver_id, "plan": plan["id"],
            "state": {"started": False, "startedAt": None, "completed": False,
                      "completedAt": None, "distributed": False, "distributedAt": None,
                      "notifiedRecipients": False, "notifiedRecipientsAt": None}}
        at = self._start_of_day(plan)
        for position, stop in enumerate(stops, start=1):
            at += timedelta(seconds=TRAVEL_SECONDS)
            early = stop["timing"]["earliestAttemptTime"]
            if early:
                at = max(at, at.replace(hour=early["hour"], minute=early["minute"], second=0))
            eta = epoch(at)
            stop.update(route=route_id, stopPosition=position,
                        estimatedTravelDuration=TRAVEL_SECONDS,
                        estimatedTravelDistance=TRAVEL_METRES,
                        eta={"status": "available", "value": {
                            "estimatedArrivalAt": eta, "estimatedEarliestArrivalAt": eta - WINDOW,
                            "estimatedLatestArrivalAt": eta + WINDOW}})
            at += timedelta(seconds=stop["timing"]["estimatedAttemptDuration"]
                            or DEFAULT_ATTEMPT)
        return route_id

    def _start_of_day(self, plan: dict[str, Any]) -> datetime:
        depot = self.depots.get(plan["depot"] or "", {})
        start = ((plan["routeOverrides"] or {}).get("startTime")
                 or (depot.get("routeOverrides") or {}).get("startTime")
                 or {"hour": 8, "minute": 0})
        day = plan["starts"]
        return datetime(day["year"], day["month"], day["day"], tzinfo=self.zone).replace(
            hour=start["hour"], minute=start["minute"])

    # ---- distribution and the drivers' day (§9, §10) ----------------------------------------------

    def distribute(self, plan_id: str) -> dict[str, Any]:
        with self.lock:
            self.settle()
            plan = self._plan(plan_id)
            if plan["optimization"] != "optimized":
                raise CircuitError(409, "Plan is not optimized", "plan_not_optimized")
            if plan["distributed"]:
                raise CircuitError(409, "Plan is already distributed",
                                   "plan_already_distributed")
            plan["distributed"] = True
            for route_id in plan["routes"]:
                self.routes[route_id]["state"].update(distributed=True,
                                                      distributedAt=self.stamp())
                for stop in self._in_route(route_id):
                    stop["trackingLink"] = f"https://track.spoke.com/{new_id(self.rng)}"
                    self.emit("stop.allocated", stop)
                    if self.extra_events:
                        self.emit("stop.tracking_link_added", stop)
            return copy.deepcopy(plan)

    def start_route(self, route_id: str) -> None:
        """The driver starts the route: `stop.out_for_delivery` for each stop still to do."""
        with self.lock:
            route = self.routes[route_id]
            if not route["state"]["distributed"]:
                raise ValueError(f"{route_id} has not been distributed")
            route["state"].update(started=True, startedAt=self.stamp())
            todo = [s for s in self._in_route(route_id) if not _attempted(s)]
            if self.recipient_notifications and any(
                    s["recipient"]["phone"] or s["recipient"]["email"] for s in todo):
                route["state"].update(notifiedRecipients=True,  # §11
                                      notifiedRecipientsAt=self.stamp())
            for stop in todo:
                self.emit("stop.out_for_delivery", stop)
            if todo and self.extra_events:
                self.emit("stop.next_in_route", todo[0])

    def attempt(self, stop_id: str, state: str, *, photo_urls: Sequence[str] = (),
                signature_url: str | None = None, signee_name: str | None = None,
                internal_notes: str | None = None, recipient_notes: str | None = None,
                time_at_stop: int | None = None) -> dict[str, Any]:
        """The driver records an attempt (§7.2 `deliveryInfo`) at `stop_id`."""
        with self.lock:
            if state not in DELIVERY_STATES:
                raise ValueError(f"unknown delivery state {state!r}")
            stop = self.stops[stop_id]
            route = self.routes.get(stop["route"] or "")
            if route is None or not route["state"]["started"]:
                raise ValueError(f"{stop_id} is not on a started route")
            now = self.stamp()
            stay = time_at_stop or stop["timing"]["estimatedAttemptDuration"] or DEFAULT_ATTEMPT
            stop["deliveryInfo"] = {
                "attempted": state != "unattempted", "attemptedAt": now,
                "succeeded": state in SUCCEEDED_STATES, "state": state,
                "attemptedLocation": {"latitude": stop["address"]["latitude"],
                                      "longitude": stop["address"]["longitude"]},
                "photoUrls": list(photo_urls), "signatureUrl": signature_url,
                "signeeName": signee_name, "driverProvidedInternalNotes": internal_notes,
                "driverProvidedRecipientNotes": recipient_notes, "recipientProvidedNotes": None,
                "timeAtStopInfo": {"status": "available", "value": {
                    "arrivedAt": now - stay, "departedAt": now, "isEstimated": False}}}
            todo = [s for s in self._in_route(route["id"]) if not _attempted(s)]
            if not todo:  # before the event, so that its embedded route shows it
                route["state"].update(completed=True, completedAt=now)
            self.emit("stop.attempted_delivery", stop)
            if self.extra_events:
                self.emit("stop.departed", stop)
            if todo and self.extra_events:
                self.emit("stop.next_in_route", todo[0])
            return self.render(stop)


def _attempted(stop: dict[str, Any]) -> bool:
    return bool(stop["deliveryInfo"] and stop["deliveryInfo"]["attempted"])

