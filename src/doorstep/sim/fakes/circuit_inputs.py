"""Validation of what a client writes to the fake Circuit / Spoke Dispatch (contracts/circuit.md
§7.1, §8.1) and a deterministic stand-in for its geocoder."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from doorstep.sim.fakes.circuit_records import bad, bare, new_id

_STOP_FIELDS = frozenset({
    "address", "timing", "recipient", "orderInfo", "paymentOnDelivery",
    "proofOfAttemptRequirements", "allowedDrivers", "activity", "optimizationOrder",
    "packageCount", "weight", "notes", "barcodes", "customProperties", "clientId",
    "serviceInfo",
})
_ADDRESS_FIELDS = {"addressName": 255, "addressLineOne": 255, "addressLineTwo": 255,
                   "city": 100, "state": 100, "zip": 100, "country": 100}


# ---- input validation (§8.1) ------------------------------------------------------------------


def _text(body: Mapping[str, Any], key: str, param: str, limit: int = 255) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= limit:
        raise bad(f"{param} must be a string of 1-{limit} characters", param)
    return value


def _obj(value: Any, param: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad(f"{param} must be an object", param)
    return value


def _int(value: Any, param: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise bad(f"{param} must be an integer from {low} to {high}", param)
    return value


def time_of_day(value: Any, param: str) -> dict[str, int] | None:
    if value is None:
        return None
    value = _obj(value, param)
    return {"hour": _int(value.get("hour"), f"{param}.hour", 0, 23),
            "minute": _int(value.get("minute"), f"{param}.minute", 0, 59)}


def plan_date(value: Any) -> dict[str, int]:
    value = _obj(value, "starts")
    out = {"day": _int(value.get("day"), "starts.day", 1, 31),
           "month": _int(value.get("month"), "starts.month", 1, 12),
           "year": _int(value.get("year"), "starts.year", 2000, 2100)}
    try:
        datetime(out["year"], out["month"], out["day"])  # noqa: DTZ001 - a calendar check only
    except ValueError as e:
        raise bad(f"starts is not a date: {e}", "starts") from None
    return out


def address_input(value: Any, param: str = "address") -> dict[str, Any]:
    """§8.1: at least one field; latitude and longitude together; string lengths."""
    value = _obj(value, param)
    unknown = set(value) - set(_ADDRESS_FIELDS) - {"latitude", "longitude"}
    if unknown:
        raise bad(f"Unknown field {param}.{sorted(unknown)[0]}", param)
    out: dict[str, Any] = {k: _text(value, k, f"{param}.{k}", n) for k, n in _ADDRESS_FIELDS.items()}
    lat, lng = value.get("latitude"), value.get("longitude")
    if (lat is None) != (lng is None):
        raise bad("latitude and longitude must be given together", param)
    if lat is not None:
        for key, v, limit in (("latitude", lat, 90), ("longitude", lng, 180)):
            if isinstance(v, bool) or not isinstance(v, int | float) or abs(v) > limit:
                raise bad(f"{param}.{key} is out of range", f"{param}.{key}")
        out["latitude"], out["longitude"] = float(lat), float(lng)
    if not any(v is not None for v in out.values()):
        raise bad(f"{param} needs at least one field", param)
    return out


def geocode(given: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A deterministic stand-in for Spoke's geocoder: the §7.2 address shape."""
    line_one = given.get("addressLineOne") or given.get("addressName") or ""
    rest = ", ".join(given[k] for k in ("city", "state", "zip", "country") if given.get(k))
    line_two = given.get("addressLineTwo") or rest
    full = ", ".join(p for p in (line_one, line_two) if p)
    if given.get("latitude") is not None:
        lat, lng = given["latitude"], given["longitude"]
    else:
        digest = hashlib.sha256(full.encode()).digest()
        lat = 39.70 + digest[0] / 2550
        lng = -89.70 + digest[1] / 2550
    return {"address": full or f"{lat:.5f}, {lng:.5f}", "addressLineOne": line_one or full,
            "addressLineTwo": line_two, "latitude": round(lat, 6), "longitude": round(lng, 6),
            "placeId": f"ChIJ{new_id(rng)}", "placeTypes": ["street_address"]}


def stop_input(body: Any, *, update: bool) -> dict[str, Any]:
    """§8.1 stop input (create/import) or stop update (no `address`, no `clientId`).
    Unknown top-level fields are refused: a v0.2b `driver` sent to v1 should fail loudly ❓."""
    body = _obj(body, "body")
    allowed = _STOP_FIELDS - {"address", "clientId"} if update else _STOP_FIELDS
    for key in body:
        if key not in allowed:
            raise bad(f"Unknown or read-only field {key}", key)
    out: dict[str, Any] = {}
    if not update:
        if "address" not in body:
            raise bad("address is required", "address")
        out["address"] = address_input(body["address"])
    if "recipient" in body:
        r = _obj(body["recipient"], "recipient")
        out["recipient"] = {k: _text(r, k, f"recipient.{k}")
                            for k in ("name", "email", "phone", "externalId")}
    if "timing" in body:
        t = _obj(body["timing"], "timing")
        duration = t.get("estimatedAttemptDuration")
        out["timing"] = {
            "earliestAttemptTime": time_of_day(t.get("earliestAttemptTime"),
                                               "timing.earliestAttemptTime"),
            "latestAttemptTime": time_of_day(t.get("latestAttemptTime"),
                                             "timing.latestAttemptTime"),
            "estimatedAttemptDuration": None if duration is None else _int(
                duration, "timing.estimatedAttemptDuration", 0, 8 * 3600)}
    if "notes" in body:
        out["notes"] = _text(body, "notes", "notes", 2000)
    if body.get("packageCount") is not None:
        out["packageCount"] = _int(body["packageCount"], "packageCount", 1, 10000)
    if "activity" in body:
        if body["activity"] not in ("delivery", "pickup"):
            raise bad("activity must be delivery or pickup", "activity")
        out["activity"] = body["activity"]
    if "optimizationOrder" in body:
        if body["optimizationOrder"] not in ("first", "last", "default"):
            raise bad("optimizationOrder must be first, last or default", "optimizationOrder")
        out["optimizationOrder"] = body["optimizationOrder"]
    if "barcodes" in body:
        codes = body["barcodes"]
        if not isinstance(codes, list) or len(codes) > 50 or not all(
                isinstance(c, str) for c in codes):
            raise bad("barcodes must be at most 50 strings", "barcodes")
        out["barcodes"] = list(codes)
    if "allowedDrivers" in body:
        drivers = body["allowedDrivers"]
        if not isinstance(drivers, list) or len(drivers) > 100:
            raise bad("allowedDrivers must be a list of at most 100 driver ids",
                      "allowedDrivers")
        out["allowedDrivers"] = [f"drivers/{bare(d, 'drivers', 'allowedDrivers')}"
                                 for d in drivers]
    if "orderInfo" in body:
        info = _obj(body["orderInfo"], "orderInfo")
        products = info.get("products") or []
        if not isinstance(products, list) or len(products) > 100:
            raise bad("orderInfo.products must be at most 100 strings", "orderInfo.products")
        out["orderInfo"] = {"products": list(products), **{
            k: _text(info, k, f"orderInfo.{k}") for k in (
                "invoiceNumber", "sellerName", "sellerOrderId", "sellerWebsite")}}
    for key in ("paymentOnDelivery", "proofOfAttemptRequirements", "weight", "customProperties",
                "serviceInfo"):
        if key in body:
            out[key] = None if body[key] is None else _obj(body[key], key)
    if "clientId" in body:
        out["clientId"] = _text(body, "clientId", "clientId")
    return out
