"""The fake OptimoRoute's vocabulary: limits, error codes, input checks, time objects, cursors,
geometry and the records the state keeps (contracts/optimoroute.md §1-§3, §9, §11).
`optimoroute_state.py` holds the state that uses them."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

MAX_BULK = 500  # §1 bulk sizes ❓: the cap client and fake agree on
MAX_EVENTS = 500  # §11.2.4 ❓
MAX_CONCURRENT = 5  # §1 ✅ per account and per IP address
MAX_SEARCH_DAYS = 35  # §5.4 ❓
DEFAULT_DURATION = 5  # minutes of service when an order gives none (account setting in reality)
DEFAULT_WORK = (time(8, 0), time(17, 0))
SPEED_KMH = 30.0

ORDER_TYPES = frozenset({"D", "P", "T"})
PRIORITIES = frozenset({"L", "M", "H", "C"})
OPERATIONS = frozenset({"CREATE", "UPDATE", "MERGE", "SYNC"})
NOTIFICATION_PREFERENCES = frozenset({"dont_notify", "email", "sms", "both"})  # §10 ❓
STATUSES = ("unscheduled", "scheduled", "on_route", "servicing", "success", "failed",
            "rejected", "cancelled")  # §9.1
FINAL = frozenset({"success", "failed", "rejected", "cancelled"})
ORDER_FIELDS = frozenset(
    {"orderNo", "date", "type", "location", "duration", "timeWindows", "priority", "assignedTo",
     "load1", "load2", "load3", "load4", "vehicleFeatures", "skills", "notes", "email", "phone",
     "notificationPreference", "customField1", "customField2", "customField3", "customField4",
     "customField5", "customFields", "relatedOrderNo", "relatedId", "allowedWeekdays",
     "allowedDates", "allowedDateTimes"})  # §5.1; anything else is ignored (§12)

EventKind = Literal["on_duty", "off_duty", "start_route", "end_route", "start_service",
                    "success", "failed", "rejected", "start_time_changed"]  # §11.1

# §2: the general codes are ✅. The reference's per-method lists could not be read, so the
# codes below ERR_ORD_NOT_FOUND (one catalogue) are the fake's own, named in the same style;
# a connector must treat any unknown code as a failure of that call or item.
ERR_ORD_NOT_FOUND = "ERR_ORD_NOT_FOUND"
ERR_ORD_EXISTS = "ERR_ORD_EXISTS"
ERR_DRV_NOT_FOUND = "ERR_DRV_NOT_FOUND"
ERR_PLAN_NOT_FOUND = "ERR_PLAN_NOT_FOUND"
ERR_ORD_NOT_DISPATCHED = "ERR_ORD_NOT_DISPATCHED"  # §9.2 ❓ must be on a driver's route
ERR_RATE_LIMITED = "ERR_RATE_LIMITED"  # §13: no rate limit is documented; opt-in only


class OptimoError(Exception):
    """An application error: the §2 envelope."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"success": False, "code": self.code, "message": self.message}


def missing(name: str) -> OptimoError:
    return OptimoError("ERR_MISSING_MAND_FIELD", f"Field '{name}' is missing")  # §2 sample text


def invalid(name: str, why: str = "") -> OptimoError:
    return OptimoError("ERR_INVALID_PARAM_FORMAT",
                       f"Field '{name}' has an invalid format" + (f": {why}" if why else ""))


def not_found(ref: str) -> OptimoError:
    return OptimoError(ERR_ORD_NOT_FOUND, f"Order {ref} not found")


# ---- input checks (§3) -------------------------------------------------------------------

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def need(obj: dict[str, Any], name: str) -> Any:
    value = obj.get(name)
    if value is None or value == "":
        raise missing(name)
    return value


def as_date(value: Any, name: str) -> date:
    if not isinstance(value, str) or not _DATE.match(value):
        raise invalid(name, "expected YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(name, "no such day") from None


def as_hhmm(value: Any, name: str) -> time:
    if not isinstance(value, str) or not _HHMM.match(value):
        raise invalid(name, "expected HH:MM")
    return time.fromisoformat(value)


def as_number(value: Any, name: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise invalid(name, "expected a number")
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise invalid(name, "out of range")
    return float(value)


def as_str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise invalid(name, "expected a string")
    return value


def as_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise invalid(name, "expected true or false")
    return value


def as_items(body: dict[str, Any], name: str) -> list[dict[str, Any]]:
    """A bulk list (§2: a list that is wrong or too long fails the whole call)."""
    items = need(body, name)
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise invalid(name, "expected a list of objects")
    if len(items) > MAX_BULK:
        raise invalid(name, f"at most {MAX_BULK} items per call")
    return items


# ---- time objects (§3) and cursors (§5.4, §11) -------------------------------------------

_ISO = "%Y-%m-%dT%H:%M:%S"


def stamp(at: datetime, tz: ZoneInfo) -> dict[str, Any]:
    """`{unixTimestamp, utcTime, localTime}`: seconds, strings without an offset."""
    return {"unixTimestamp": int(at.timestamp()), "utcTime": at.astimezone(UTC).strftime(_ISO),
            "localTime": at.astimezone(tz).strftime(_ISO)}


def parse_stamp(obj: Any, name: str, tz: ZoneInfo) -> datetime:
    """§9.2: a time object carries exactly one of its three forms."""
    if not isinstance(obj, dict):
        raise invalid(name, "expected a time object")
    given = [k for k in ("unixTimestamp", "utcTime", "localTime") if k in obj]
    if len(given) != 1:
        raise invalid(name, "give one of unixTimestamp, utcTime, localTime")
    value = obj[given[0]]
    if given[0] == "unixTimestamp":
        return datetime.fromtimestamp(int(as_number(value, f"{name}.unixTimestamp", 0)), UTC)
    try:
        zone = UTC if given[0] == "utcTime" else tz
        text = as_str(value, f"{name}.{given[0]}")
        parsed = datetime.strptime(text, _ISO).replace(tzinfo=zone)  # noqa: DTZ007 zone next
    except ValueError:
        raise invalid(f"{name}.{given[0]}", "expected YYYY-MM-DDTHH:MM:SS") from None
    return parsed.astimezone(UTC)


def local_dt(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")  # §6.1 ❓ space-separated


def encode_tag(kind: str, n: int) -> str:
    # The §11.1 sample tag "c2VxOjE4NDQ2" is base64 of "seq:18446"; ours look the same.
    return base64.b64encode(f"{kind}:{n}".encode()).decode()


def decode_tag(tag: Any, kind: str, name: str) -> int:
    try:
        prefix, _, n = base64.b64decode(as_str(tag, name), validate=True).decode().partition(":")
        if prefix == kind and n.isdigit():
            return int(n)
    except (binascii.Error, UnicodeDecodeError):
        pass
    raise invalid(name, "unknown tag")


# ---- geometry -------------------------------------------------------------------------------

def geocode(address: str, center: tuple[float, float]) -> tuple[float, float]:
    """A stable point within ~15 km of `center` for an address (no real geocoder)."""
    digest = hashlib.sha256(address.strip().lower().encode()).digest()
    dx, dy = (int.from_bytes(digest[i:i + 4], "big") / 2**32 - 0.5 for i in (0, 4))
    return round(center[0] + dy * 0.25, 6), round(center[1] + dx * 0.25, 6)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def polyline(points: list[tuple[float, float]]) -> str:
    """Google's encoded polyline format, which `routePolyline` uses (§6.1)."""
    out, prev = [], (0, 0)
    for lat, lng in points:
        cur = (round(lat * 1e5), round(lng * 1e5))
        for delta in (cur[0] - prev[0], cur[1] - prev[1]):
            v = ~(delta << 1) if delta < 0 else delta << 1
            while v >= 0x20:
                out.append(chr((0x20 | (v & 0x1F)) + 63))
                v >>= 5
            out.append(chr(v + 63))
        prev = cur
    return "".join(out)


# ---- records -------------------------------------------------------------------------------

@dataclass
class Driver:
    serial: str
    name: str
    external_id: str | None = None
    vehicle_registration: str | None = None
    vehicle_label: str | None = None
    start: tuple[float, float] | None = None
    params: dict[date, dict[str, Any]] = field(default_factory=dict)  # §8, per date
    on_duty: bool = False

    def enabled(self, day: date) -> bool:
        return bool(self.params.get(day, {}).get("enabled", True))


@dataclass
class Order:
    id: str
    seq: int
    data: dict[str, Any]
    status: str = "unscheduled"
    start: datetime | None = None
    end: datetime | None = None
    form: dict[str, Any] | None = None
    planned: datetime | None = None  # its last planned start, kept while off a route

    @property
    def order_no(self) -> str | None:
        return self.data.get("orderNo")

    @property
    def day(self) -> date:
        return date.fromisoformat(self.data["date"])

    @property
    def point(self) -> tuple[float, float] | None:
        loc = self.data.get("location", {})
        return (loc["latitude"], loc["longitude"]) if loc.get("valid") else None


@dataclass
class Stop:
    order_id: str
    arrival: datetime | None = None
    scheduled: datetime | None = None
    travel_time: int = 0  # seconds from the previous stop (§6.1)
    distance: int = 0  # metres from the previous stop


@dataclass
class Route:
    day: date
    serial: str
    stops: list[Stop] = field(default_factory=list)
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class Planning:
    id: int
    days: list[date]
    options: dict[str, Any]
    status: str = "N"  # §7.2: N new, R running, C cancelled, F finished, E error
    percentage: int = 0


@dataclass(frozen=True)
class Event:
    kind: str
    at: datetime
    driver: Driver | None
    order: Order | None
    extra: dict[str, Any] = field(default_factory=dict)

    def json(self, tz: ZoneInfo) -> dict[str, Any]:
        out: dict[str, Any] = {"event": self.kind, **stamp(self.at, tz)}
        if self.order is not None:
            out["orderNo"] = self.order.order_no
            out["orderId"] = self.order.id
        if self.driver is not None:
            out["driverSerial"] = self.driver.serial
            out["driverName"] = self.driver.name
            if self.driver.external_id:
                out["driverExternalId"] = self.driver.external_id
        return {**out, **self.extra}


@dataclass
class Fault:
    """An injected failure for the next matching request. `status` None: only a stall.
    `applied`: the request is carried out before the failure is answered (unknown outcome)."""

    method: str | None
    status: int | None
    code: str
    applied: bool
    stall: bool
    times: int
    released: threading.Event = field(default_factory=threading.Event)


@dataclass(frozen=True)
class Received:
    """One request the fake received: method name from the path, query without the key."""

    http_method: str
    method: str
    query: dict[str, str]
    body: Any
    at: datetime
