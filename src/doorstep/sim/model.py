"""The simulated day as plain data, and the few helpers every part of the simulator shares.

Times inside the simulator are POSIX seconds (floats): cheap to add and compare by the hundred
thousand. They become aware datetimes in the market's own time zone only when an event is made.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import random
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from doorstep.config import OperatorConfig
from doorstep.domain import EventType, VehicleClass
from doorstep.events.format import make_event
from doorstep.sim.people import (
    INSTRUCTIONS,
    STREETS,
    RecipientProfile,
    fictional_phone,
    person_name,
    pick,
    stable_units,
)
from doorstep.sim.scenario import Scenario
from doorstep.sim.travel import Plane

# One item of the day's stream: (occurred_at as whole POSIX seconds, stream number, sequence in
# that stream, event). The first three order the stream and never tie, so events are never compared.
Item = tuple[int, int, int, dict[str, Any]]


def local_ts(day: date, at: time, tz: ZoneInfo) -> float:
    """The instant a wall-clock time happens on a day in a time zone (DST-correct)."""
    return datetime.combine(day, at, tzinfo=tz).timestamp()


@dataclass(slots=True)
class SimMarket:
    id: str
    name: str
    tz: ZoneInfo
    npas: list[str]  # area codes for the market's made-up phone numbers


@dataclass(slots=True)
class SimDepot:
    id: str
    index: int
    market: SimMarket
    lat: float
    lon: float
    city: str
    region: str | None
    postal_prefix: str
    plane: Plane
    noon_ts: float  # local noon of the service day: the anchor for local minute-of-day
    driver_base: int = 0  # this depot's drivers' first number in the market's phone space
    pool_base: int = 0  # and its recipients'
    pool_size: int = 1
    radius_km: float = 1.0  # recipients live within it

    def minute_of_day(self, ts: float) -> float:
        """Local minute of the service day; right between ~03:00 and ~26:00 even on DST days."""
        return (ts - self.noon_ts) / 60.0 + 720.0


@dataclass(slots=True)
class SimShipper:
    id: str
    index: int
    name: str
    time_sensitive: bool
    reply_to: str  # the number a recipient's reply goes to


@dataclass(slots=True)
class SimDriver:
    id: str
    name: str
    depot: SimDepot
    phone: str
    language: str
    on_call: bool


@dataclass(slots=True)
class SimVehicle:
    id: str
    depot: SimDepot
    vehicle_class: VehicleClass
    capacity: int
    plate: str


@dataclass(slots=True)
class SimDelivery:
    id: str
    depot: SimDepot
    shipper: SimShipper
    recipient: int  # index in the depot's recipient pool
    lat: float
    lon: float
    created_ts: float
    time_sensitive: bool
    planned_ts: float = 0.0
    window_start_ts: float = 0.0
    window_end_ts: float = 0.0
    sequence: int = 0


@dataclass(slots=True)
class SimShift:
    id: str
    depot: SimDepot
    driver: SimDriver
    vehicle: SimVehicle
    starts_ts: float
    ends_ts: float
    planned_at_ts: float
    confirm_reply: tuple[float, str] | None = None  # (when, text) to the evening-before question
    callout: tuple[float, str, str] | None = None  # (when, channel, reason)
    offer_replies: list[tuple[float, SimDriver, str]] = field(default_factory=list)
    covered_by: SimDriver | None = None
    start_delay_s: float = 0.0

    @property
    def working_driver(self) -> SimDriver | None:
        return self.covered_by if self.callout else self.driver


@dataclass(slots=True)
class SimRoute:
    id: str
    index: int
    depot: SimDepot
    shift: SimShift
    planned_at_ts: float
    planned_start_ts: float
    planned_end_ts: float
    return_s: float  # planned drive from the last stop back to the depot
    service_s: float  # planned service time per stop
    stops: list[SimDelivery]


@dataclass(slots=True)
class SimDay:
    operator: OperatorConfig
    scenario: Scenario
    service_date: date
    seed: int
    markets: list[SimMarket]
    depots: list[SimDepot]
    shippers: list[SimShipper]
    drivers: list[SimDriver]
    vehicles: list[SimVehicle]
    shifts: list[SimShift]
    routes: list[SimRoute]
    deliveries: list[SimDelivery]  # by depot, each depot's in order of creation
    operator_phone: str  # where drivers' replies go
    run_key: str  # run_key(scenario, deliveries asked for)

    @property
    def id_prefix(self) -> str:
        """What every event id of the day starts with: the same for the same seed, date,
        deliveries and scenario values, so a replay is recognised as repeats, and another for
        any other run on the same date, so its events are not dropped as repeats."""
        return f"sim{self.seed}-{self.service_date:%Y%m%d}-{self.run_key}"

    @property
    def day_before(self) -> date:
        return self.service_date - timedelta(days=1)

    def recipient_location(self, depot: SimDepot, r: int) -> tuple[float, float]:
        u = stable_units(f"{self.seed}:{depot.id}:r{r}")
        return depot.plane.point_in_disk(depot.radius_km, u[5], u[6])

    def recipient_risk(self, d: SimDelivery) -> tuple[bool, float]:
        """(chronic, u): whether the recipient is one of the few who fail again and again, and
        a number in [0, 1) that picks their one recurring reason."""
        u = stable_units(f"{self.seed}:{d.depot.id}:r{d.recipient}+")[6]
        share = self.scenario.outcomes.chronic_share
        return u < share, min(u / share, 0.999999)

    def recipient_name(self, d: SimDelivery) -> str:
        u = stable_units(f"{self.seed}:{d.depot.id}:r{d.recipient}")
        return person_name(u[1:3], u[0] < self.scenario.recipients.spanish_share)

    def recipient(self, d: SimDelivery) -> RecipientProfile:
        """Who a delivery is for: the same person at the same address on every day (the key
        holds the seed, the depot and the pool number, not the date)."""
        depot, r = d.depot, d.recipient
        key = f"{self.seed}:{depot.id}:r{r}"
        u = stable_units(key) + stable_units(key + "+")
        rs = self.scenario.recipients
        chronic, reason_u = self.recipient_risk(d)
        spanish = u[0] < rs.spanish_share
        name = person_name(u[1:3], spanish)
        lat, lon = depot.plane.point_in_disk(depot.radius_km, u[5], u[6])
        email = None
        if u[4] < rs.email_share:
            plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
            email = f"{plain.lower().replace(' ', '.')}{r}@example.com"
        apartment = f"Apt {1 + int(u[9] * 12)}{pick('ABCD', u[10])}"
        return RecipientProfile(
            name=name,
            phone=fictional_phone(depot.market.npas, depot.pool_base + r) if u[3] < rs.phone_share else None,
            email=email,
            language="es" if spanish else "en",
            line1=f"{1 + int(u[7] * 2400)} {pick(STREETS, u[8])}",
            line2=apartment if u[11] < rs.apartment_share else None,
            instructions=pick(INSTRUCTIONS, u[13]) if u[12] < rs.instructions_rate else None,
            postal_code=f"{depot.postal_prefix}{int(u[15] * 100):02d}",
            lat=lat, lon=lon,
            chronic=chronic,
            chronic_reason_u=reason_u,
        )


def run_key(scenario: Scenario, deliveries: int) -> str:
    """A short hash of what, besides the seed and the date, shapes a day's events: the number
    of deliveries and the scenario's values (not its name or description)."""
    values = scenario.model_dump(mode="json", exclude={"name", "description"})
    text = json.dumps({"deliveries": deliveries, "scenario": values}, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:8]


class Emitter:
    """Makes one stream's events with deterministic ids and its own sequence numbers."""

    def __init__(self, day: SimDay, stream: int) -> None:
        self.prefix = day.id_prefix
        self.stream = stream
        self.seq = 0

    def item(self, code: str, key: str, etype: EventType, ts: float, tz: ZoneInfo,
             data: dict[str, Any]) -> Item:
        sec = round(ts)
        self.seq += 1
        event = make_event(f"{self.prefix}-{code}-{key}", etype,
                           datetime.fromtimestamp(sec, tz), data)
        return sec, self.stream, self.seq, event


def iso(ts: float, tz: ZoneInfo, *, minute: bool = False) -> str:
    sec = round(ts / 60) * 60 if minute else round(ts)
    return datetime.fromtimestamp(sec, tz).isoformat()


def sms(from_addr: str, to_addr: str, body: str, event_key: str) -> dict[str, Any]:
    sid = "SM" + hashlib.blake2b(event_key.encode(), digest_size=16).hexdigest()
    return {"channel": "sms", "from_addr": from_addr, "to_addr": to_addr, "body": body,
            "provider_id": sid}


K = TypeVar("K")


def choose(rng: random.Random, weights: Mapping[K, float]) -> K:
    """One key of `weights`, drawn in proportion to its weight."""
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def drain(heap: list[Item], until: float | None) -> Iterator[Item]:
    """Pop a stream's pending items up to `until` (all of them if None), in order."""
    while heap and (until is None or heap[0][0] <= until):
        yield heapq.heappop(heap)
