"""Spoke's stops, routes and drivers in doorstep's v1 events (pure: no I/O).

Spoke sends no event id (contracts/circuit.md §10), so every fact is keyed by what it is:
a stop's details by their hash, an attempt by (stop, attemptedAt, state), an ETA by its value,
a route's plan by its hash, its start and end by their times. A webhook repeated, a webhook
and the sync that saw the same thing, or a sync of unchanged objects all make the same keys.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, time
from typing import Any

from doorstep.connectors.circuit import codes, places
from doorstep.connectors.circuit.notes import instructions_of
from doorstep.connectors.circuit.places import Places
from doorstep.connectors.circuit.stops import (
    Plan,
    arrived_at,
    attempted,
    digest,
    earliest,
    eta,
    instant,
    is_delivery,
    route_state,
)
from doorstep.connectors.received import Translated, Unmappable, event_key
from doorstep.domain import EventType

SOURCE = "circuit"
FALLBACK_NAME = "Customer"  # Spoke's recipient name is optional


def ours(platform_id: str) -> str:
    """doorstep's id for a Spoke object that carries none of ours: `routes/R1` →
    `circuit:routes:R1` (no slash, so it stays one segment of a URL)."""
    return f"{SOURCE}:" + platform_id.strip("/").replace("/", ":")


def delivery_id(stop: dict[str, Any]) -> str:
    """`recipient.externalId` is where an import (and doorstep's redelivery stops) put the
    delivery's own id (§3, §9.3); a stop without one is known by its Spoke id."""
    external = str((stop.get("recipient") or {}).get("externalId") or "").strip()
    if external:
        return external if len(external) <= 128 else (
            f"{SOURCE}:x:" + hashlib.sha256(external.encode()).hexdigest()[:40])
    return ours(str(stop["id"]))


def lacks_recipient(stop: dict[str, Any]) -> bool:
    """Some webhooks carry the recipient nulled (§10 ◐): fetch the stop instead."""
    return not str((stop.get("recipient") or {}).get("name") or "").strip()


def details(stop: dict[str, Any], plan: Plan, where: Places, at: datetime) -> Translated | None:
    """delivery.created from what the stop says of the delivery (None for a start/end/pickup)."""
    if not is_delivery(stop):
        return None
    if not isinstance(stop.get("address"), dict):
        raise Unmappable(f"{stop['id']}: the stop has no address")
    depot = where.depot(plan.depot_id, plan.depot_name)
    tz = where.timezone(depot)
    address = places.address(stop["address"])
    person = stop.get("recipient") or {}
    recipient: dict[str, Any] = {
        "name": str(person.get("name") or "").strip()[:200] or FALLBACK_NAME}
    phone = places.phone(person.get("phone"), address["country"])
    email = places.email(person.get("email"))
    if phone:
        recipient["phone"] = phone
    if email:
        recipient["email"] = email
    data: dict[str, Any] = {"delivery_id": delivery_id(stop), "shipper": where.shipper(stop),
                            "depot": depot, "service_date": plan.day.isoformat(),
                            "recipient": recipient, "address": address}
    timing = stop.get("timing") or {}
    start, end = (_time_of_day(timing.get(k)) for k in ("earliestAttemptTime",
                                                         "latestAttemptTime"))
    if start and end and end > start:  # §7: times of day, read in the depot's market
        data["window_start"] = datetime.combine(plan.day, start, tz).isoformat()
        data["window_end"] = datetime.combine(plan.day, end, tz).isoformat()
    said = instructions_of(stop.get("notes"))[:2000]
    if said:
        data["instructions"] = said
    return Translated(event_key("details", stop["id"], digest(data)), earliest(stop, at),
                      [(EventType.DELIVERY_CREATED, data)])


def _time_of_day(value: Any) -> time | None:
    if not isinstance(value, dict):
        return None
    try:
        return time(int(value["hour"]), int(value.get("minute") or 0))
    except (KeyError, TypeError, ValueError):
        return None


def facts(stop: dict[str, Any], at: datetime) -> list[Translated]:
    """What the stop says happened: its route started, the ETA, the arrival and the attempt,
    its route completed. `at` is when Spoke said it (the webhook's `created`, or now)."""
    if not is_delivery(stop):
        return []
    out: list[Translated] = []
    route = stop.get("route") or {}
    state = route_state(route)
    if route.get("id") and state.get("started") and (started := instant(state.get("startedAt"))):
        out.append(Translated(event_key("started", route["id"], _ts(started)), started,
                              [(EventType.ROUTE_STARTED, {"route_id": ours(route["id"])})]))
    out.extend(_attempt(stop, at))
    if not attempted(stop) and not state.get("completed") and (when := eta(stop)) is not None:
        out.append(Translated(event_key("eta", stop["id"], _ts(when)), at, [
            (EventType.DELIVERY_ETA_UPDATED, {"delivery_id": delivery_id(stop),
                                              "eta": when.isoformat()})]))
    if route.get("id") and state.get("completed") and (
            done := instant(state.get("completedAt"))):
        out.append(Translated(event_key("completed", route["id"], _ts(done)), done,
                              [(EventType.ROUTE_COMPLETED, {"route_id": ours(route["id"])})]))
    return out


def _attempt(stop: dict[str, Any], at: datetime) -> list[Translated]:
    info = stop.get("deliveryInfo") or {}
    state = info.get("state")
    result = codes.outcome(state, info.get("succeeded")) if info.get("attempted", True) else None
    if result is None:
        return []
    did = delivery_id(stop)
    when = instant(info.get("attemptedAt")) or at
    out = []
    arrival = arrived_at(stop)
    if arrival is not None and arrival <= when:
        out.append(Translated(event_key("arrived", stop["id"], _ts(arrival)), arrival,
                              [(EventType.DELIVERY_ARRIVED, {"delivery_id": did})]))
    notes = _text(info.get("driverProvidedInternalNotes")) or _text(
        info.get("driverProvidedRecipientNotes"))
    data: dict[str, Any] = {"delivery_id": did}
    if result == "delivered":
        pod: dict[str, Any] = {}
        photos = [p for p in info.get("photoUrls") or [] if isinstance(p, str) and p]
        if photos:
            pod["photo_url"] = photos[0][:2000]
        if isinstance(info.get("signatureUrl"), str) and info["signatureUrl"]:
            pod["signature_url"] = info["signatureUrl"][:2000]
        if _text(info.get("signeeName")):
            pod["received_by"] = str(_text(info.get("signeeName")))[:200]
        data["pod"] = pod
        kind = EventType.DELIVERY_DELIVERED
    else:
        data["reason"] = codes.failure_reason(state, notes).value
        kind = EventType.DELIVERY_FAILED
    if notes:
        data["notes"] = notes
    out.append(Translated(event_key("attempt", stop["id"], _ts(when), state), when,
                          [(kind, data)]))
    return out


def route_planned(route: dict[str, Any], stops: list[dict[str, Any]], plan: Plan,
                  where: Places, at: datetime) -> Translated:
    """route.planned: a Spoke route is doorstep's route, its delivery stops in route order."""
    depot = where.depot(plan.depot_id, plan.depot_name)
    tz = where.timezone(depot)
    members = sorted((s for s in stops if is_delivery(s)
                      and (s.get("route") or {}).get("id") == route["id"]),
                     key=lambda s: (s.get("stopPosition") or 0, s["id"]))
    planned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for stop in members:
        did = delivery_id(stop)
        if did in seen:  # one delivery twice on a route: doorstep's route holds it once
            continue
        seen.add(did)
        entry: dict[str, Any] = {"delivery_id": did, "sequence": len(planned) + 1}
        if (when := eta(stop)) is not None:
            entry["planned_arrival"] = when.isoformat()
        planned.append(entry)
    data: dict[str, Any] = {"route_id": ours(route["id"]), "depot": depot,
                            "service_date": plan.day.isoformat(),
                            "planned_start": _planned_start(members, plan, tz).isoformat(),
                            "stops": planned}
    if isinstance(route.get("driver"), str) and route["driver"]:
        data["driver_id"] = ours(route["driver"])
    state = route_state(route)
    known = [instant(state.get("distributedAt")), instant(state.get("startedAt"))]
    occurred = min([at, *(t for t in known if t is not None)])
    return Translated(event_key("route", route["id"], digest(data)), occurred,
                      [(EventType.ROUTE_PLANNED, data)])


def _planned_start(members: list[dict[str, Any]], plan: Plan, tz: Any) -> datetime:
    """Spoke has no route start time: the first stop's ETA less the drive to it, else the
    plan's start time of day, else 08:00 in the depot's market."""
    for stop in members:
        when = eta(stop)
        if when is not None:
            travel = stop.get("estimatedTravelDuration")
            seconds = travel if isinstance(travel, int | float) and travel > 0 else 0
            return datetime.fromtimestamp(when.timestamp() - seconds, tz)
    hour, minute = plan.start or (8, 0)
    return datetime.combine(plan.day, time(hour, minute), tz)


def driver_upserted(driver: dict[str, Any], where: Places, depot_names: dict[str, str],
                    at: datetime) -> Translated:
    if not isinstance(driver, dict) or not isinstance(driver.get("id"), str):
        raise Unmappable("driver: expected an object with an id")
    depots = [d for d in driver.get("depots") or [] if isinstance(d, str)]
    depot = where.depot(depots[0], depot_names.get(depots[0])) if depots else (
        where.mapping.default_depot)
    name = next((str(v).strip() for v in (driver.get("displayName"), driver.get("name"),
                                           driver.get("email"), driver.get("phone"))
                 if v and str(v).strip()), driver["id"])
    data: dict[str, Any] = {"driver_id": ours(driver["id"]), "name": name[:200], "depot": depot,
                            "active": driver.get("active") is not False}
    phone = places.phone(driver.get("phone"), "US")
    email = places.email(driver.get("email"))
    if phone:
        data["phone"] = phone
    if email:
        data["email"] = email
    return Translated(event_key("driver", driver["id"], digest(data)), at,
                      [(EventType.DRIVER_UPSERTED, data)])


def cancelled(stop_id: str, did: str, at: datetime, why: str) -> Translated:
    """A stop that is gone from Spoke (Spoke sends no event when one is deleted)."""
    return Translated(event_key("gone", stop_id), at,
                      [(EventType.DELIVERY_CANCELLED, {"delivery_id": did, "reason": why})])


def _ts(at: datetime) -> int:
    return int(at.timestamp())


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()[:2000]
    return None


def envelope(payload: Any) -> tuple[str, datetime, Any]:
    """A webhook's `{type, version, created (ms), data}` (§10); anything else is refused."""
    if not isinstance(payload, dict):
        raise Unmappable("expected a JSON object {type, version, created, data}")
    kind = payload.get("type")
    if not isinstance(kind, str) or "." not in kind:
        raise Unmappable("type: expected <resource>.<event>")
    if payload.get("version") not in ("v1", "v0.2b"):
        raise Unmappable("version: expected v1 or v0.2b (the versions Spoke sends)")
    created = payload.get("created")
    at = instant(created) if isinstance(created, int | float) and created > 1e11 else None
    if at is None:
        raise Unmappable("created: expected the event time in milliseconds")
    return kind, at, payload.get("data")
