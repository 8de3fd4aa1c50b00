"""Reading Spoke's objects as they come, whichever API version sent them: the v0.2b stop shape
turned into v1's (contracts/circuit.md §13), times in seconds (or milliseconds) made aware,
and the facts that say which plan a stop's day and depot are."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from doorstep.connectors.received import Unmappable

# Resource times are seconds (§7); a value this large can only be milliseconds.
_MS_THRESHOLD = 100_000_000_000


def instant(value: Any) -> datetime | None:
    """An aware time from Spoke's epoch seconds (milliseconds tolerated), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    seconds = value / 1000 if value > _MS_THRESHOLD else value
    at = datetime.fromtimestamp(seconds, UTC)
    return at if 2000 <= at.year < 2100 else None


def digest(*parts: Any) -> str:
    """A short stable hash of what an object says, for keys that repeat when nothing changed."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def normalize(stop: Any) -> dict[str, Any]:
    """A Stop in v1's shape; v0.2b's (§13) is converted, anything else refused."""
    if not isinstance(stop, dict):
        raise Unmappable("data: expected a Stop object")
    sid = stop.get("id")
    if not isinstance(sid, str) or not sid.startswith(("plans/", "unassignedStops/")):
        raise Unmappable("data.id: expected plans/<id>/stops/<id>")
    for key, kind in (("recipient", dict), ("address", dict), ("deliveryInfo", dict),
                      ("route", dict), ("orderInfo", dict), ("customProperties", dict)):
        if stop.get(key) is not None and not isinstance(stop[key], kind):
            raise Unmappable(f"data.{key}: expected an object or null")
    out = copy.deepcopy(stop)
    eta = out.get("eta")
    if isinstance(eta, dict) and "status" not in eta:  # v0.2b: the value itself, or null
        out["eta"] = {"status": "available", "value": eta}
    elif eta is None:
        out["eta"] = {"status": "pending"}
    info = out.get("deliveryInfo")
    if isinstance(info, dict):
        at_stop = info.get("timeAtStopInfo")
        if isinstance(at_stop, dict) and "status" not in at_stop:
            info["timeAtStopInfo"] = {"status": "available", "value": at_stop}
    if "allowedDrivers" not in out and "allowedDriversIdentifiers" in out:
        out["allowedDrivers"] = out.get("allowedDriversIdentifiers") or []
    if "clientId" not in out and "circuitClientId" in out:
        out["clientId"] = out["circuitClientId"]
    return out


def is_delivery(stop: dict[str, Any]) -> bool:
    """A stop doorstep follows: a delivery, not a route's start or end, nor a pickup."""
    return bool(stop.get("type", "stop") == "stop"
                and stop.get("activity", "delivery") != "pickup")


def attempted(stop: dict[str, Any]) -> bool:
    return bool((stop.get("deliveryInfo") or {}).get("attempted"))


def eta(stop: dict[str, Any]) -> datetime | None:
    value = stop.get("eta") or {}
    if value.get("status") != "available":
        return None
    return instant((value.get("value") or {}).get("estimatedArrivalAt"))


def arrived_at(stop: dict[str, Any]) -> datetime | None:
    info = stop.get("deliveryInfo") or {}
    at_stop = info.get("timeAtStopInfo") or {}
    if at_stop.get("status") == "available":
        found = instant((at_stop.get("value") or {}).get("arrivedAt"))
        if found:
            return found
    return instant(info.get("arrivedAt"))  # deprecated in v1, still sent (§7.2)


def route_state(route: dict[str, Any] | None) -> dict[str, Any]:
    return (route or {}).get("state") or {}


def earliest(stop: dict[str, Any], at: datetime) -> datetime:
    """The earliest moment the stop tells of: its facts must not look older than its details,
    nor its route's plan than the route's start (a sync catching up after hours)."""
    route = route_state(stop.get("route"))
    info = stop.get("deliveryInfo") or {}
    known = [instant(route.get("distributedAt")), instant(route.get("startedAt")),
             instant(info.get("attemptedAt")), arrived_at(stop)]
    return min([at, *(t for t in known if t is not None)])


def route_signature(route: dict[str, Any]) -> str:
    """What changes when a route is (re)distributed or (re)assigned."""
    state = route_state(route)
    return f"{state.get('distributedAt')}:{route.get('stopCount')}:{route.get('driver')}"


@dataclass(frozen=True)
class Plan:
    """What a stop needs from its plan: its day and its depot (a Stop names only the plan)."""

    id: str
    day: date
    depot_id: str | None
    depot_name: str | None = None
    start: tuple[int, int] | None = None  # the plan's route start time of day, if set

    @classmethod
    def of(cls, plan: dict[str, Any], depot_names: dict[str, str]) -> Plan:
        starts = plan.get("starts") or {}
        try:
            day = date(int(starts["year"]), int(starts["month"]), int(starts["day"]))
        except (KeyError, TypeError, ValueError):
            raise Unmappable(f"{plan.get('id')}: starts is not a date") from None
        depot = plan.get("depot")
        depot_id = depot.get("id") if isinstance(depot, dict) else depot
        start = ((plan.get("routeOverrides") or {}).get("startTime")) or {}
        return cls(str(plan["id"]), day, depot_id, depot_names.get(depot_id or ""),
                   (int(start["hour"]), int(start.get("minute", 0))) if "hour" in start
                   else None)

    def dumps(self) -> str:
        return json.dumps({"id": self.id, "day": self.day.isoformat(), "depot": self.depot_id,
                           "name": self.depot_name, "start": self.start})

    @classmethod
    def loads(cls, text: str) -> Plan:
        raw = json.loads(text)
        start = raw.get("start")
        return cls(raw["id"], date.fromisoformat(raw["day"]), raw.get("depot"),
                   raw.get("name"), (int(start[0]), int(start[1])) if start else None)
