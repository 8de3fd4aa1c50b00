"""An OptimoRoute order (contracts/optimoroute.md §5) in doorstep's words: a `delivery.created`.

Pure: the operator's mapping comes in a `Context`. The delivery's id is the original orderNo;
an order doorstep made for a redelivery carries that id in `MARKER_FIELD`, so it stays the same
delivery. Pickups (`P`) and tasks (`T`) are not deliveries and translate to nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from doorstep.config import OperatorConfig, PlatformConfig
from doorstep.connectors.optimoroute import times
from doorstep.connectors.received import Unmappable

MARKER_FIELD = "customField5"  # the doorstep delivery id on a redelivery order doorstep made
NOTE_PREFIX = "[doorstep] "  # lines doorstep adds to an order's notes (not the recipient's)
DELIVERY_TYPES = frozenset({"D"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_US_TAIL = re.compile(r"^(?:([A-Za-z]{2})\s+)?(\d{5}(?:-\d{4})?)$")
_COUNTRY = {"US", "USA", "U.S.A.", "UNITED STATES", "UNITED STATES OF AMERICA"}
UNKNOWN = "-"  # a required address part the order's one-line address does not give


@dataclass(frozen=True)
class Context:
    """What translating needs from the operator's configuration."""

    mapping: PlatformConfig
    zones: dict[str, ZoneInfo]  # depot id -> its market's time zone
    shippers: frozenset[str]

    @classmethod
    def of(cls, operator: OperatorConfig, mapping: PlatformConfig) -> Context:
        markets = {m.id: ZoneInfo(m.timezone) for m in operator.markets}
        return cls(mapping, {d.id: markets[d.market] for d in operator.depots},
                   frozenset(s.id for s in operator.shippers))

    def zone(self, depot: str) -> ZoneInfo:
        return self.zones.get(depot) or self.zones[self.mapping.default_depot]

    def depot_of(self, *keys: Any) -> str:
        for key in keys:
            if isinstance(key, str | int) and str(key) in self.mapping.depots:
                return self.mapping.depots[str(key)]
        return self.mapping.default_depot


def field(data: dict[str, Any], name: str | None) -> str | None:
    """A custom field by its API name (`customField2`), flat or in `customFields` (§5.1 ❓)."""
    if not name:
        return None
    value = data.get(name)
    if value in (None, "") and isinstance(data.get("customFields"), dict):
        value = data["customFields"].get(name)
    text = "" if value is None else str(value).strip()
    return text or None


def delivery_id(data: dict[str, Any]) -> str | None:
    """The doorstep delivery an order stands for: the marker, else the order's own number."""
    number = data.get("orderNo")
    return field(data, MARKER_FIELD) or ("" if number is None else str(number).strip()) or None


def redelivery_number(data: dict[str, Any]) -> int:
    """0 for an original order; n for `<delivery id>-R<n>` (1 for any other marked order)."""
    marker = field(data, MARKER_FIELD)
    if not marker:
        return 0
    match = re.fullmatch(re.escape(marker) + r"-R(\d+)", str(data.get("orderNo") or ""))
    return int(match.group(1)) if match else 1


def is_delivery(data: dict[str, Any]) -> bool:
    return str(data.get("type") or "D") in DELIVERY_TYPES


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def depot_of(ctx: Context, data: dict[str, Any]) -> str:
    forced = as_dict(data.get("assignedTo"))
    return ctx.depot_of(field(data, ctx.mapping.depot_field), forced.get("serial"),
                        forced.get("externalId"))


def shipper_of(ctx: Context, data: dict[str, Any]) -> str:
    value = field(data, ctx.mapping.shipper_field)
    if value is None:
        return ctx.mapping.default_shipper
    if value in ctx.mapping.shippers:
        return ctx.mapping.shippers[value]
    return value if value in ctx.shippers else ctx.mapping.default_shipper


def service_date(data: dict[str, Any]) -> date:
    try:
        return date.fromisoformat(str(data.get("date")))
    except ValueError:
        raise Unmappable(f"order {data.get('orderNo')!r}: date {data.get('date')!r} is not "
                         "YYYY-MM-DD") from None


def delivery_created(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """The `delivery.created` data of an order of type D."""
    number = delivery_id(data)
    if number is None:
        raise Unmappable("order without an orderNo")
    day = service_date(data)
    depot = depot_of(ctx, data)
    tz = ctx.zone(depot)
    loc = as_dict(data.get("location"))
    out: dict[str, Any] = {
        "delivery_id": number, "shipper": shipper_of(ctx, data), "depot": depot,
        "service_date": day.isoformat(), "recipient": recipient(data, loc),
        "address": address(loc, str(data.get("orderNo"))),
        "time_sensitive": str(data.get("priority") or "M") in ("H", "C"),
    }
    span = times.window(day, data.get("timeWindows"), tz)
    if span is not None:
        out["window_start"], out["window_end"] = (t.isoformat() for t in span)
    notes = instructions(data.get("notes"))
    if notes:
        out["instructions"] = notes
    return out


def recipient(data: dict[str, Any], loc: dict[str, Any]) -> dict[str, Any]:
    name = str(loc.get("locationName") or "").strip() or "Recipient"
    out: dict[str, Any] = {"name": name[:200]}
    phone = e164(data.get("phone"))
    if phone:
        out["phone"] = phone
    email = str(data.get("email") or "").strip()
    if email and len(email) <= 320 and _EMAIL.match(email):
        out["email"] = email
    return out


def e164(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return _e164(value.strip())


@functools.lru_cache(maxsize=65_536)  # every sync reads the day's orders again
def _e164(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "US")
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def address(loc: dict[str, Any], order_no: str) -> dict[str, Any]:
    """§5.1 gives one line (`12 Elm St, Springfield[, IL 62701]`): split into doorstep's parts.
    A part it does not give is "-" (doorstep's address needs a city and a postal code)."""
    parts = [p.strip() for p in str(loc.get("address") or "").split(",") if p.strip()]
    if parts and parts[-1].upper() in _COUNTRY:
        parts = parts[:-1]
    line1 = (parts[0] if parts else str(loc.get("locationName") or order_no))[:200]
    rest = parts[1:]
    region = postal = None
    if rest:
        tail = _US_TAIL.match(rest[-1])
        if tail:
            region, postal = tail.group(1), tail.group(2)
            rest = rest[:-1]
        elif re.fullmatch(r"[A-Za-z]{2}", rest[-1]) and len(rest) > 1:
            region, rest = rest[-1], rest[:-1]
    city = rest[-1] if rest else UNKNOWN
    out: dict[str, Any] = {"line1": line1 or UNKNOWN, "city": city[:100],
                           "postal_code": (postal or UNKNOWN)[:20], "country": "US"}
    if len(rest) > 1:
        out["line2"] = ", ".join(rest[:-1])[:200]
    if region:
        out["region"] = region.upper()
    lat, lon = _number(loc.get("latitude"), 90), _number(loc.get("longitude"), 180)
    if lat is not None and lon is not None:
        out["lat"], out["lon"] = lat, lon
    return out


def instructions(notes: Any) -> str | None:
    """The order's notes for the driver, without the lines doorstep itself added."""
    if not isinstance(notes, str):
        return None
    kept = [line for line in notes.splitlines() if not line.startswith(NOTE_PREFIX)]
    text = "\n".join(kept).strip()
    return text[-2000:] or None


def digest(data: Any) -> str:
    """A short fingerprint of translated data: an unchanged object gives the same event key."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _number(value: Any, limit: float) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and -limit <= value <= limit:
        return float(value)
    return None
