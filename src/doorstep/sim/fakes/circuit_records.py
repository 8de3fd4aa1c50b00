"""The fake Circuit for Teams / Spoke Dispatch vocabulary (contracts/circuit.md): errors, ids,
input validation, fake geocoding, list pages, rate-limit buckets and injected faults.
`circuit_state.py` holds the team's data and rules that use them."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

BASE_PATH = "/public/v1"
DOCS_URL = "https://developer.dispatch.spoke.com"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,50}$")  # §3: bare path parameters
_ALPHABET = string.ascii_letters + string.digits

RateClass = Literal["read", "write", "create_driver", "import_stops", "import_drivers",
                    "optimize"]
# §5: (requests, window in seconds) per endpoint class.
RATE_LIMITS: dict[RateClass, tuple[int, float]] = {
    "read": (10, 1.0), "write": (5, 1.0), "create_driver": (1, 1.0),
    "import_stops": (10, 60.0), "import_drivers": (2, 60.0), "optimize": (3, 60.0),
}
# §6: (default, max) maxPageSize per list.
PAGE_SIZES: dict[str, tuple[int, int]] = {
    "plans": (10, 20), "stops": (10, 10), "drivers": (50, 50), "depots": (20, 20),
    "routes": (20, 20), "operations": (20, 20), "unassignedStops": (20, 20),
}

SUCCEEDED_STATES = frozenset({
    "delivered_to_recipient", "delivered_to_third_party", "delivered_to_mailbox",
    "delivered_to_safe_place", "delivered_to_pickup_point", "delivered_other",
    "picked_up_from_customer", "picked_up_unmanned", "picked_up_from_locker", "picked_up_other",
})
FAILED_STATES = frozenset({
    "failed_not_home", "failed_cant_find_address", "failed_no_parking", "failed_no_time",
    "failed_package_not_available", "failed_other", "failed_missing_required_proof",
    "failed_payment_not_received",
})
DELIVERY_STATES = SUCCEEDED_STATES | FAILED_STATES | {"unattempted"}  # §7.2

_STOP_FIELDS = frozenset({
    "address", "timing", "recipient", "orderInfo", "paymentOnDelivery",
    "proofOfAttemptRequirements", "allowedDrivers", "activity", "optimizationOrder",
    "packageCount", "weight", "notes", "barcodes", "customProperties", "clientId",
    "serviceInfo",
})
_ADDRESS_FIELDS = {"addressName": 255, "addressLineOne": 255, "addressLineTwo": 255,
                   "city": 100, "state": 100, "zip": 100, "country": 100}


class CircuitError(Exception):
    """An error answer: §4's envelope `{message, code?, param?, url?}`."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 param: str | None = None, url: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code, self.param, self.url = (
            status, message, code, param, url)

    def body(self) -> dict[str, str]:
        body = {"message": self.message}
        for key, value in (("code", self.code), ("param", self.param), ("url", self.url)):
            if value is not None:
                body[key] = value
        return body


def bad(message: str, param: str | None = None) -> CircuitError:
    return CircuitError(400, message, param=param)


def new_id(rng: random.Random) -> str:
    """§12: ids are ~20 alphanumerics chosen by Spoke."""
    return "".join(rng.choice(_ALPHABET) for _ in range(20))


def check_id(raw: str, what: str) -> str:
    if not ID_PATTERN.match(raw):
        raise bad(f"Invalid {what}: must match [A-Za-z0-9_-]{{1,50}}", what)  # §3
    return raw


def bare(value: Any, collection: str, param: str) -> str:
    """`drivers/D1` → `D1`; a write that names another collection or a bad id is a 400."""
    if not isinstance(value, str) or not value.startswith(f"{collection}/"):
        raise bad(f"{param} must be a {collection}/<id> identifier", param)
    return check_id(value.removeprefix(f"{collection}/"), param)


def epoch(instant: datetime) -> int:
    """§7: resource timestamps are whole seconds."""
    return int(instant.timestamp())


def authorization_key(header: str) -> str | None:
    """The API key of `Basic base64(key:)` or `Bearer key` (§2)."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer":
        return value.strip() or None
    if scheme.lower() == "basic":
        try:
            user, sep, _ = base64.b64decode(value, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user if sep and user else None
    return None


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


# ---- lists (§6) --------------------------------------------------------------------------------


def filters(query: Mapping[str, str]) -> dict[str, str]:
    """`filter.<name>=v` and `filter[<name>]=v` are both accepted (§6)."""
    out: dict[str, str] = {}
    for key, value in query.items():
        if key.startswith("filter."):
            out[key[len("filter."):]] = value
        elif key.startswith("filter[") and key.endswith("]"):
            out[key[len("filter["):-1]] = value
    return out


def page(items: Sequence[dict[str, Any]], name: str, query: Mapping[str, str],
         secret: str) -> dict[str, Any]:
    """One page of `{<name>: [...], nextPageToken}`; a token is bound to the query it came
    from (§6: repeat the same parameters plus pageToken)."""
    default, most = PAGE_SIZES[name]
    size = default
    if "maxPageSize" in query:
        try:
            size = int(query["maxPageSize"])
        except ValueError:
            raise bad("maxPageSize must be an integer", "maxPageSize") from None
        if not 1 <= size <= most:
            raise bad(f"maxPageSize must be from 1 to {most}", "maxPageSize")
    rest = {k: v for k, v in query.items() if k != "pageToken"}
    fingerprint = hashlib.sha256((secret + json.dumps(sorted(rest.items()))).encode()).hexdigest()
    start = 0
    if query.get("pageToken"):
        try:
            decoded = json.loads(base64.urlsafe_b64decode(query["pageToken"].encode()))
            start, bound = int(decoded["o"]), str(decoded["q"])
        except (ValueError, KeyError, TypeError):
            raise bad("Invalid pageToken", "pageToken") from None
        if bound != fingerprint[:16]:
            raise bad("pageToken does not match the query parameters", "pageToken")
    end = start + size
    token = None
    if end < len(items):
        token = base64.urlsafe_b64encode(json.dumps(
            {"o": end, "q": fingerprint[:16]}).encode()).decode()
    return {name: list(items[start:end]), "nextPageToken": token}


# ---- rate limits (§5) and faults ---------------------------------------------------------------


class Buckets:
    """Token buckets per §5 class on the injected clock: a full bucket allows a short burst,
    then requests pass at the class's rate."""

    def __init__(self) -> None:
        self.level: dict[RateClass, float] = {c: float(n) for c, (n, _) in RATE_LIMITS.items()}
        self.seen: dict[RateClass, float] = {}

    def take(self, cls: RateClass, now: float) -> float | None:
        """None when allowed; else the seconds until one request would pass."""
        limit, window = RATE_LIMITS[cls]
        rate = limit / window
        last = self.seen.get(cls, now)
        self.level[cls] = min(float(limit), self.level[cls] + max(now - last, 0.0) * rate)
        self.seen[cls] = now
        if self.level[cls] >= 1.0:
            self.level[cls] -= 1.0
            return None
        return (1.0 - self.level[cls]) / rate

    def exhaust(self, cls: RateClass, now: float) -> None:
        self.level[cls], self.seen[cls] = 0.0, now


@dataclass
class Fault:
    """`fail_next`: the next `times` requests matching `method`/`path` (a regex searched in
    the path after the base) answer `status`; `applied` carries the request out first."""

    status: int
    message: str
    code: str | None
    method: str | None
    path: str | None
    applied: bool
    times: int

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or re.search(self.path, path) is not None)
