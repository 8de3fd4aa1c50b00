"""Where a Spoke stop belongs in doorstep's words: its depot and shipper (the operator's
`[platforms.circuit]` mapping), its market's time zone, and its address and recipient in the
shape doorstep's format asks for (Spoke gives one geocoded line, not fields)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers

from doorstep.config import OperatorConfig, PlatformConfig

UNKNOWN = "?"  # a part of the address Spoke's one line does not tell
COUNTRIES = {"usa": "US", "us": "US", "united states": "US", "united states of america": "US",
             "canada": "CA", "mexico": "MX", "méxico": "MX", "united kingdom": "GB",
             "uk": "GB", "great britain": "GB", "ireland": "IE", "australia": "AU",
             "new zealand": "NZ", "germany": "DE", "deutschland": "DE", "france": "FR",
             "spain": "ES", "españa": "ES", "netherlands": "NL", "belgium": "BE",
             "portugal": "PT", "italy": "IT", "brazil": "BR", "brasil": "BR"}
_REGION_POSTAL = re.compile(r"^([A-Za-z]{2,3})\s+([A-Za-z0-9][A-Za-z0-9 -]{1,9})$")
_POSTAL = re.compile(r"^(?=.*\d)[A-Za-z0-9][A-Za-z0-9 -]{1,9}$")
_REGION = re.compile(r"^[A-Za-z]{2,3}$")
_COORDINATES = re.compile(r"^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Places:
    mapping: PlatformConfig
    operator: OperatorConfig

    def depot(self, depot_id: str | None, depot_name: str | None = None) -> str:
        """The doorstep depot of a Spoke depot, by its id (`depots/X` or `X`) or its name."""
        depots = self.mapping.depots
        for key in (depot_id, (depot_id or "").rsplit("/", 1)[-1], depot_name):
            if key and key in depots:
                return depots[key]
        lowered = {k.casefold(): v for k, v in depots.items()}
        if depot_name and depot_name.casefold() in lowered:
            return lowered[depot_name.casefold()]
        return self.mapping.default_depot

    def timezone(self, depot: str) -> ZoneInfo:
        return ZoneInfo(self.operator.market(self.operator.depot(depot).market).timezone)

    def shipper(self, stop: dict[str, Any]) -> str:
        """From the stop's `shipper_field` (`orderInfo.<field>`, or a custom stop property id),
        through `shippers`, else the value itself if it is a shipper, else the default."""
        value = shipper_value(stop, self.mapping.shipper_field)
        if value is not None:
            if value in self.mapping.shippers:
                return self.mapping.shippers[value]
            if any(s.id == value for s in self.operator.shippers):
                return value
        return self.mapping.default_shipper


def shipper_value(stop: dict[str, Any], field: str) -> str | None:
    if field.startswith("orderInfo."):
        value = (stop.get("orderInfo") or {}).get(field.removeprefix("orderInfo."))
    else:
        props = stop.get("customProperties") or {}
        key = field.removeprefix("customProperties.")
        value = props.get(key, props.get(f"team/customStopProperties/{key}"))
    return value.strip() if isinstance(value, str) and value.strip() else None


def address(given: dict[str, Any] | None) -> dict[str, Any]:
    """doorstep's address fields from Spoke's geocoded `{address, addressLineOne,
    addressLineTwo, latitude, longitude}`: "12 Elm St, Springfield, IL 62701, USA"."""
    given = given or {}
    full = str(given.get("address") or "")
    if _COORDINATES.match(full) and not given.get("addressLineTwo"):
        given = {**given, "addressLineOne": full}  # a pin on the map, no street
    line1 = str(given.get("addressLineOne") or "").strip() or full.split(",")[0].strip()
    rest_text = str(given.get("addressLineTwo") or "")
    if not rest_text and full.startswith(line1):
        rest_text = full[len(line1):]
    rest = [p.strip() for p in rest_text.split(",") if p.strip()]
    country = "US"
    if rest and (rest[-1].casefold() in COUNTRIES
                 or (len(rest) >= 3 and re.fullmatch(r"[A-Z]{2}", rest[-1]))):
        last = rest.pop()
        country = COUNTRIES.get(last.casefold(), last if len(last) == 2 else "US").upper()
    region = postal = None
    if rest and (m := _REGION_POSTAL.match(rest[-1])) and any(c.isdigit() for c in m.group(2)):
        region, postal = m.group(1).upper(), m.group(2).upper()
        rest.pop()
    elif rest and _POSTAL.match(rest[-1]):
        postal = rest.pop().upper()
        if rest and len(rest) >= 2 and _REGION.match(rest[-1]):
            region = rest.pop().upper()
    city = rest[-1] if rest else None
    out: dict[str, Any] = {"line1": (line1 or full or UNKNOWN)[:200],
                           "city": (city or UNKNOWN)[:100],
                           "postal_code": (postal or UNKNOWN)[:20], "country": country}
    if region:
        out["region"] = region
    lat, lon = given.get("latitude"), given.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float) and (
            abs(lat) <= 90 and abs(lon) <= 180):
        out["lat"], out["lon"] = float(lat), float(lon)
    return out


def phone(raw: Any, country: str) -> str | None:
    """E.164, or None when Spoke's number could not reach anyone."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email(raw: Any) -> str | None:
    if isinstance(raw, str) and len(raw) <= 320 and _EMAIL.match(raw.strip()):
        return raw.strip()
    return None
