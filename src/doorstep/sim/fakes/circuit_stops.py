"""Stops of a plan and unassigned stops in the fake Circuit / Spoke Dispatch (contracts/
circuit.md §7.2, §7.3, §8.3, §8.4)."""

from __future__ import annotations

import copy
import random
from collections.abc import Mapping
from typing import Any

from doorstep.sim.fakes.circuit_inputs import geocode, stop_input
from doorstep.sim.fakes.circuit_records import (
    CircuitError,
    bad,
    bare,
    check_id,
    filters,
    new_id,
    page,
)
from doorstep.sim.fakes.circuit_state import CircuitState, not_found

# What a live update may change without re-optimizing (an assumption ❓, see live_update).
_IN_PLACE = frozenset({"notes", "recipient", "orderInfo", "customProperties", "packageCount",
                       "barcodes", "paymentOnDelivery", "proofOfAttemptRequirements"})


class StopsState(CircuitState):
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

    def live_update(self, plan_id: str, stop_id: str, body: Any) -> dict[str, Any]:
        """§8.3 `:liveUpdate`. Which live changes wait for a re-optimization is not documented
        ❓: here a change that does not move the stop on its route (notes, recipient, order,
        custom properties …) applies at once (`pending: false`); one that does (timing,
        allowed drivers, order in route, activity, weight) is held (`pending: true`), and on
        a stop already attempted it is `422 stop_not_editable`."""
        with self.lock:
            plan = self._idle(plan_id)
            stop = self._stop(plan_id, stop_id)
            fields = stop_input(body, update=True)
            self._check_allowed(plan, fields)
            moving = set(fields) - _IN_PLACE
            if plan["writable"] or not moving:
                stop.update(fields)
                return {"pending": False, "stop": self.render(stop)}
            if stop["deliveryInfo"] and stop["deliveryInfo"]["attempted"]:
                raise CircuitError(422, "Stop cannot be edited", "stop_not_editable")
            self.pending.setdefault(stop["id"], {}).update(fields)
            return {"pending": True, "stop": self.render(stop)}

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

    def update_unassigned(self, stop_id: str, body: Any) -> dict[str, Any]:
        with self.lock:
            stop = self.unassigned.get(f"unassignedStops/{check_id(stop_id, 'id')}")
            if stop is None:
                raise not_found("Unassigned stop")
            stop.update(stop_input(body, update=True))  # §6: absent fields stay as they are
            return copy.deepcopy(stop)

    def list_custom_properties(self) -> dict[str, Any]:
        with self.lock:
            return {"customStopProperties": [dict(p) for p in
                                             self.custom_properties.values()]}

    def unassigned_stop(self, stop_id: str) -> dict[str, Any]:
        return self.find(self.unassigned, "unassignedStops", stop_id, "id",
                         not_found("Unassigned stop"))

    def list_unassigned(self, query: Mapping[str, str]) -> dict[str, Any]:
        with self.lock:
            external = filters(query).get("externalId")
            items = [copy.deepcopy(s) for s in self.unassigned.values()
                     if external is None or s["recipient"]["externalId"] == external]
            return page(items, "unassignedStops", query, self.page_secret)

    def emit(self, kind: str, stop: dict[str, Any]) -> None:
        self.events.append((kind, int(self.now().timestamp() * 1000), self.render(stop)))


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
