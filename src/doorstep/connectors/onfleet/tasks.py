"""An Onfleet task or worker in doorstep's v1 words (contracts/onfleet.md §5.1, §6.1, §7.3,
§7.4): a delivery's details, its outcome with proof of delivery, a driver and its vehicle. Pure:
everything comes from the object and the directory."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from doorstep.connectors.onfleet.directory import (
    DELIVERY_MARKER,
    PREFIX,
    Directory,
    Obj,
    instant,
    meta,
    phone,
)
from doorstep.connectors.received import Unmappable
from doorstep.domain import EventType, FailureReason, VehicleClass

# Photo and signature images, by upload id: the URL scheme of Onfleet's older docs (❓ dropped
# from the current page), so the upload ids are kept in the notes as well.
IMAGES = "https://d15p8tr8p0vffz.cloudfront.net"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LANG = re.compile(r"^[a-z]{2}(-[A-Z]{2})?$")

# failureReason is whatever each organization configured (§4.4): words in it, first match.
REASON_WORDS: list[tuple[tuple[str, ...], FailureReason]] = [
    (("NOT_HOME", "NOBODY", "NO_ONE", "NOONE", "NOT_AVAILABLE", "UNAVAILABLE", "NO_ANSWER",
      "ABSENT", "NOT_IN"), FailureReason.NOT_HOME),
    (("ADDRESS", "NOT_FOUND", "CANT_FIND", "CANNOT_FIND", "UNABLE_TO_LOCATE", "WRONG_LOCATION"),
     FailureReason.WRONG_ADDRESS),
    (("ACCESS", "LOCKED", "GATE", "CLOSED", "NO_ENTRY", "SECURITY", "DOG"),
     FailureReason.ACCESS),
    (("REFUSED", "REJECTED", "DECLINED", "REFUSAL"), FailureReason.REFUSED),
    (("DAMAGED", "BROKEN", "DAMAGE"), FailureReason.DAMAGED),
]

VEHICLES = {"CAR": VehicleClass.CAR, "TRUCK": VehicleClass.BOX_TRUCK,
            "BICYCLE": VehicleClass.CARGO_BIKE, "MOTORCYCLE": VehicleClass.CARGO_BIKE}


def iso(at: datetime) -> str:
    return at.isoformat()


def delivery_id(task: Obj, linked: Mapping[str, str]) -> str:
    """The id doorstep put on the task, else the delivery of the task it was cloned from,
    else one made from the task's own id."""
    marked = meta(task, DELIVERY_MARKER)
    if isinstance(marked, str) and marked:
        return marked
    source = task.get("sourceTaskId")
    if isinstance(source, str) and source in linked:
        return linked[source]
    return PREFIX + str(task["id"])


def failure_reason(code: Any) -> FailureReason:
    text = re.sub(r"[^A-Z]+", "_", str(code or "").upper())
    for words, reason in REASON_WORDS:
        if any(word in text for word in words):
            return reason
    return FailureReason.OTHER


def _recipient(task: Obj, address: Obj) -> dict[str, Any]:
    people = [r for r in task.get("recipients") or [] if isinstance(r, dict)]
    person = people[0] if people else {}
    overrides = task.get("overrides") or {}
    name = (overrides.get("recipientName") or person.get("name") or address.get("name")
            or "Recipient")
    out: dict[str, Any] = {"name": str(name).strip()[:200] or "Recipient"}
    if phone(person.get("phone")):
        out["phone"] = person["phone"]
    email = meta(person, "email")
    if isinstance(email, str) and _EMAIL.match(email) and len(email) <= 320:
        out["email"] = email
    language = meta(person, "language")
    if isinstance(language, str) and _LANG.match(language):
        out["language"] = language
    return out


def _address(destination: Obj, d: Directory) -> dict[str, Any]:
    address = destination.get("address") or {}
    if not isinstance(address, dict):
        raise Unmappable("data.task.destination.address is not an object")
    line1 = " ".join(str(address.get(k) or "").strip() for k in ("number", "street")).strip()
    line1 = line1 or str(address.get("unparsed") or "").split(",")[0].strip()
    city = str(address.get("city") or "").strip()
    if not line1 or not city:
        raise Unmappable("data.task.destination.address has no street or no city")
    out: dict[str, Any] = {
        "line1": line1[:200], "city": city[:100],
        # Not every country has postal codes; doorstep's record needs something there.
        "postal_code": str(address.get("postalCode") or "-").strip()[:20] or "-",
        "country": d.country_code(address.get("country"))}
    if address.get("apartment"):
        out["line2"] = str(address["apartment"])[:200]
    if address.get("state"):
        out["region"] = str(address["state"])[:100]
    location = destination.get("location")
    if (isinstance(location, list) and len(location) == 2
            and all(isinstance(c, int | float) and not isinstance(c, bool) for c in location)
            and -180 <= location[0] <= 180 and -90 <= location[1] <= 90):
        out["lon"], out["lat"] = float(location[0]), float(location[1])
    return out


def instructions(task: Obj) -> str | None:
    """The driver's notes on the task, and the destination's where they add something."""
    notes = str(task.get("notes") or "").strip()
    place = str((task.get("destination") or {}).get("notes") or "").strip()
    if place and place not in notes:
        notes = f"{notes}\n{place}" if notes else place
    return notes[-2000:] or None


def delivery_details(task: Obj, d: Directory, did: str) -> dict[str, Any]:
    """delivery.created for a task."""
    destination = task.get("destination")
    if not isinstance(destination, dict):
        raise Unmappable("data.task.destination is not an object")
    depot = d.task_depot(task)
    try:
        day = d.service_date(task, depot)
    except ValueError as err:
        raise Unmappable(f"data.task: {err}") from None
    address = _address(destination, d)
    data: dict[str, Any] = {
        "delivery_id": did, "shipper": d.shipper(task), "depot": depot,
        "service_date": day.isoformat(),
        "recipient": _recipient(task, destination.get("address") or {}), "address": address,
        "time_sensitive": meta(task, "time_sensitive") is True}
    start, end = instant(task.get("completeAfter")), instant(task.get("completeBefore"))
    if start and end and end > start:
        data["window_start"], data["window_end"] = iso(start), iso(end)
    said = instructions(task)
    if said:
        data["instructions"] = said
    return data


def is_done(task: Obj) -> bool:
    return task.get("state") == 3


def finished_at(task: Obj) -> datetime | None:
    return instant((task.get("completionDetails") or {}).get("time"))


def outcome(task: Obj, did: str) -> tuple[EventType, dict[str, Any]]:
    """delivery.delivered or delivery.failed for a completed task."""
    details = task.get("completionDetails")
    if not isinstance(details, dict) or not isinstance(details.get("success"), bool):
        raise Unmappable("data.task.completionDetails.success is missing")
    if details["success"]:
        return EventType.DELIVERY_DELIVERED, _delivered(details, did)
    code = str(details.get("failureReason") or "")
    said = str(details.get("failureNotes") or details.get("notes") or "").strip()
    notes = "; ".join(p for p in (said, f"Onfleet reason: {code}" if code else "") if p)
    data: dict[str, Any] = {"delivery_id": did, "reason": failure_reason(code).value}
    if notes:
        data["notes"] = notes[:2000]
    return EventType.DELIVERY_FAILED, data


def _delivered(details: Obj, did: str) -> dict[str, Any]:
    photos = [p for p in details.get("photoUploadIds") or [] if isinstance(p, str) and p]
    if not photos and isinstance(details.get("photoUploadId"), str):
        photos = [details["photoUploadId"]]
    signature = details.get("signatureUploadId")
    pod: dict[str, Any] = {}
    if photos:
        pod["photo_url"] = f"{IMAGES}/{photos[0]}/800x.png"
    if isinstance(signature, str) and signature:
        pod["signature_url"] = f"{IMAGES}/{signature}/282x.png"
    if isinstance(details.get("signatureText"), str) and details["signatureText"].strip():
        pod["received_by"] = details["signatureText"].strip()[:200]
    said = str(details.get("notes") or details.get("successNotes") or "").strip()
    uploads = ([f"Onfleet photo uploads: {', '.join(photos)}"] if photos else []) + (
        [f"signature upload: {signature}"] if isinstance(signature, str) and signature else [])
    notes = "; ".join([said, *uploads] if said else uploads)
    data: dict[str, Any] = {"delivery_id": did, "pod": pod}
    if notes:
        data["notes"] = notes[:2000]
    return data


def arrived_at(task: Obj) -> datetime | None:
    """When the driver arrived, from the completion's events (§5.1: start, arrival, …)."""
    for event in (task.get("completionDetails") or {}).get("events") or []:
        if isinstance(event, dict) and event.get("name") == "arrival":
            return instant(event.get("time"))
    return None


def started_at(task: Obj) -> datetime | None:
    for event in (task.get("completionDetails") or {}).get("events") or []:
        if isinstance(event, dict) and event.get("name") == "start":
            return instant(event.get("time"))
    return None


def eta(task: Obj) -> datetime | None:
    return instant(task.get("estimatedArrivalTime")) or instant(task.get("eta"))


def driver(worker: Obj, d: Directory, *, active: bool = True) -> dict[str, Any]:
    """driver.upserted for a worker."""
    name = str(worker.get("displayName") or worker.get("name") or "").strip()
    if not name or not isinstance(worker.get("id"), str):
        raise Unmappable("data.worker has no id or no name")
    data: dict[str, Any] = {"driver_id": d.driver_id(worker), "name": name[:200],
                            "depot": d.worker_depot(worker), "active": active,
                            "on_call": meta(worker, "on_call") is True}
    if phone(worker.get("phone")):
        data["phone"] = worker["phone"]
    language = meta(worker, "language")
    if isinstance(language, str) and _LANG.match(language):
        data["language"] = language
    return data


def vehicle_id(worker: Obj) -> str | None:
    vehicle = worker.get("vehicle")
    if isinstance(vehicle, dict) and isinstance(vehicle.get("id"), str):
        return PREFIX + str(vehicle["id"])
    return None


def vehicle(worker: Obj, d: Directory) -> dict[str, Any] | None:
    """vehicle.upserted for the worker's vehicle (§6.1: one per worker; null = on foot)."""
    vid = vehicle_id(worker)
    if vid is None:
        return None
    given = worker["vehicle"]
    capacity = worker.get("capacity")
    data: dict[str, Any] = {
        "vehicle_id": vid, "depot": d.worker_depot(worker),
        "vehicle_class": VEHICLES.get(str(given.get("type")), VehicleClass.CAR).value,
        "capacity": int(capacity) if isinstance(capacity, int | float)
        and not isinstance(capacity, bool) and 0 <= capacity <= 100_000 else 0}
    if isinstance(given.get("licensePlate"), str) and given["licensePlate"].strip():
        data["plate"] = given["licensePlate"].strip()[:32]
    return data
