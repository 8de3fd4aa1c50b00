"""The scenario: every rate and behaviour of a simulated day, from a TOML file.

The model's defaults are the default scenario; `scenarios/default.toml` writes them out with
where each comes from. A file only names what it changes: a section it gives replaces the
defaults field by field (a table such as `outcomes.reasons` is replaced whole).
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from doorstep.config import ConfigError, describe_validation_error, load_toml
from doorstep.domain import FailureReason, Severity, VehicleClass
from doorstep.sim.people import NoticeIntent, RecipientIntent

Rate = Annotated[float, Field(ge=0, le=1)]
Weight = Annotated[float, Field(ge=0)]
Minutes = Annotated[float, Field(ge=0, le=24 * 60)]
CalloutChannel = Literal["reply", "evening", "morning"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _weights_positive(weights: Mapping[Any, float] | Sequence[float], what: str) -> None:
    values = list(weights.values()) if isinstance(weights, Mapping) else list(weights)
    if not values or sum(values) <= 0:
        raise ValueError(f"{what}: expected at least one weight above 0")


def _deep_merge(base: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in given.items():
        old = out.get(key)
        out[key] = (_deep_merge(old, value) if isinstance(old, dict) and isinstance(value, dict)
                    and key != "severities" else value)
    return out


class Delay(_Section):
    """A log-normal delay: most near `median_minutes`, a long tail, capped at `max_minutes`."""

    median_minutes: Annotated[float, Field(gt=0, le=24 * 60)]
    sigma: Annotated[float, Field(ge=0, le=3)] = 0.8
    max_minutes: Annotated[float, Field(gt=0, le=48 * 60)] = 24 * 60

    def draw(self, rng: random.Random) -> float:
        """Minutes."""
        return min(self.max_minutes, self.median_minutes * math.exp(self.sigma * rng.gauss()))


class DaySection(_Section):
    shift_start_earliest: time = time(7, 0)
    shift_start_latest: time = time(9, 0)
    shift_start_step_minutes: Annotated[int, Field(ge=1, le=120)] = 15
    shift_hours: Annotated[float, Field(ge=2, le=16)] = 10.0
    load_minutes: Annotated[float, Field(ge=0, le=180)] = 30.0
    stops_per_route: Annotated[int, Field(ge=1, le=1000)] = 110
    stops_per_route_spread: Annotated[float, Field(ge=0, le=0.9)] = 0.2
    stops_per_km2: Annotated[float, Field(gt=0, le=10_000)] = 8.0
    min_radius_km: Annotated[float, Field(gt=0, le=200)] = 2.0
    max_radius_km: Annotated[float, Field(gt=0, le=200)] = 40.0

    @model_validator(mode="after")
    def _window(self) -> DaySection:
        if self.shift_start_latest < self.shift_start_earliest:
            raise ValueError("shift_start_latest must not be before shift_start_earliest")
        if self.max_radius_km < self.min_radius_km:
            raise ValueError("max_radius_km must not be below min_radius_km")
        return self

    def radius_km(self, deliveries: int) -> float:
        """How far out a depot's recipients live: a disk holding its deliveries at the
        scenario's density, so a small operator's routes are as tight as a large one's."""
        wanted = math.sqrt(max(deliveries, 1) / (math.pi * self.stops_per_km2))
        return min(self.max_radius_km, max(self.min_radius_km, wanted))


class PlanningSection(_Section):
    """When the reference facts reach doorstep, local time of the day before service."""

    fleet_updated_at: time = time(6, 0)
    shifts_planned_at: time = time(12, 0)
    orders_from: time = time(8, 0)
    orders_until: time = time(20, 0)
    routes_planned_at: time = time(21, 0)

    @model_validator(mode="after")
    def _order(self) -> PlanningSection:
        if self.orders_until <= self.orders_from:
            raise ValueError("orders_until must be after orders_from")
        if self.routes_planned_at <= self.orders_until:
            raise ValueError("routes_planned_at must be after orders_until: a route lists "
                             "deliveries that exist")
        return self


class SpeedBand(_Section):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: time = Field(alias="from")
    kmh: Annotated[float, Field(gt=0, le=150)]


class TravelSection(_Section):
    road_factor: Annotated[float, Field(ge=1, le=3)] = 1.3
    speeds: Annotated[list[SpeedBand], Field(min_length=1)] = [
        SpeedBand(from_=time(0, 0), kmh=40), SpeedBand(from_=time(7, 0), kmh=22),
        SpeedBand(from_=time(10, 0), kmh=28), SpeedBand(from_=time(15, 30), kmh=20),
        SpeedBand(from_=time(19, 0), kmh=32),
    ]
    service_minutes: Annotated[float, Field(gt=0, le=120)] = 3.0
    service_sigma: Annotated[float, Field(ge=0, le=2)] = 0.35

    @model_validator(mode="after")
    def _bands(self) -> TravelSection:
        starts = [b.from_ for b in self.speeds]
        if starts[0] != time(0, 0):
            raise ValueError("speeds: the first band must start at 00:00")
        if starts != sorted(set(starts)):
            raise ValueError("speeds: bands must be in increasing order of `from`")
        return self


class WindowsSection(_Section):
    widths_hours: Annotated[list[Annotated[float, Field(gt=0, le=12)]], Field(min_length=1)] = [2, 4]
    width_weights: list[Weight] = [0.5, 0.5]
    align_minutes: Annotated[int, Field(ge=1, le=120)] = 30
    time_sensitive_rate: Rate = 0.05
    time_sensitive_width_hours: Annotated[float, Field(gt=0, le=12)] = 2.0

    @model_validator(mode="after")
    def _lengths(self) -> WindowsSection:
        if len(self.width_weights) != len(self.widths_hours):
            raise ValueError("width_weights must have one weight per entry of widths_hours")
        _weights_positive(self.width_weights, "width_weights")
        return self


class DriftSection(_Section):
    start_delay_mean_minutes: Annotated[float, Field(ge=-60, le=240)] = 4.0
    start_delay_sd_minutes: Annotated[float, Field(ge=0, le=120)] = 6.0
    route_bias_sd: Annotated[float, Field(ge=0, le=1)] = 0.08
    leg_bias: Annotated[float, Field(ge=-0.5, le=1)] = 0.05
    leg_sigma: Annotated[float, Field(ge=0, le=2)] = 0.3
    eta_threshold_minutes: Annotated[float, Field(gt=0, le=240)] = 10.0
    eta_lookahead_stops: Annotated[int, Field(ge=0, le=50)] = 5


class OutcomesSection(_Section):
    failure_rate: Rate = 0.05
    chronic_share: Annotated[float, Field(gt=0, le=1)] = 0.05
    chronic_failure_share: Rate = 0.45
    reasons: dict[FailureReason, Weight] = {
        FailureReason.NOT_HOME: 0.55, FailureReason.ACCESS: 0.17,
        FailureReason.WRONG_ADDRESS: 0.10, FailureReason.REFUSED: 0.10,
        FailureReason.DAMAGED: 0.08,
    }
    attempt_minutes: Annotated[float, Field(gt=0, le=60)] = 4.0
    photo_rate: Rate = 0.95
    signature_rate: Rate = 0.2

    @model_validator(mode="after")
    def _reasons(self) -> OutcomesSection:
        _weights_positive(self.reasons, "reasons")
        return self


class ExceptionSpec(_Section):
    rate: Rate
    severities: dict[Severity, Weight]
    delay: Delay
    resolve_after: Delay
    ends_route_share: Rate = 0.0

    @model_validator(mode="after")
    def _severities(self) -> ExceptionSpec:
        _weights_positive(self.severities, "severities")
        return self


class ExceptionsSection(_Section):
    breakdown: ExceptionSpec = ExceptionSpec(
        rate=0.01, severities={Severity.MEDIUM: 0.3, Severity.HIGH: 0.55, Severity.CRITICAL: 0.15},
        delay=Delay(median_minutes=75, sigma=0.4, max_minutes=240),
        resolve_after=Delay(median_minutes=120, sigma=0.4, max_minutes=480), ends_route_share=0.3)
    road_closure: ExceptionSpec = ExceptionSpec(
        rate=0.03, severities={Severity.LOW: 0.6, Severity.MEDIUM: 0.4},
        delay=Delay(median_minutes=15, sigma=0.5, max_minutes=60),
        resolve_after=Delay(median_minutes=120, sigma=0.6, max_minutes=600))
    incident: ExceptionSpec = ExceptionSpec(
        rate=0.005, severities={Severity.MEDIUM: 0.4, Severity.HIGH: 0.45, Severity.CRITICAL: 0.15},
        delay=Delay(median_minutes=45, sigma=0.5, max_minutes=180),
        resolve_after=Delay(median_minutes=90, sigma=0.5, max_minutes=480), ends_route_share=0.1)
    capacity_overrun: ExceptionSpec = ExceptionSpec(
        rate=0.02, severities={Severity.LOW: 0.3, Severity.MEDIUM: 0.7},
        delay=Delay(median_minutes=40, sigma=0.4, max_minutes=120),
        resolve_after=Delay(median_minutes=60, sigma=0.5, max_minutes=300))

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        """`[exceptions.breakdown] rate = 0` changes the rate and keeps the other defaults."""
        if not isinstance(data, dict):
            return data
        merged = dict(data)
        for kind, given in data.items():
            field = cls.model_fields.get(kind)
            if field is not None and isinstance(given, dict):
                merged[kind] = _deep_merge(field.default.model_dump(), given)
        return merged


class FleetSection(_Section):
    vehicle_mix: dict[VehicleClass, Weight] = {
        VehicleClass.CARGO_VAN: 0.6, VehicleClass.BOX_TRUCK: 0.1, VehicleClass.CAR: 0.15,
        VehicleClass.CARGO_BIKE: 0.1, VehicleClass.REFRIGERATED_VAN: 0.05,
    }
    capacity: dict[VehicleClass, Annotated[int, Field(ge=0, le=100_000)]] = {
        VehicleClass.CARGO_VAN: 250, VehicleClass.BOX_TRUCK: 400, VehicleClass.CAR: 60,
        VehicleClass.CARGO_BIKE: 40, VehicleClass.REFRIGERATED_VAN: 150,
    }
    spare_vehicle_share: Rate = 0.05
    on_call_share: Rate = 0.1

    @model_validator(mode="after")
    def _mix(self) -> FleetSection:
        _weights_positive(self.vehicle_mix, "vehicle_mix")
        return self


class DriversSection(_Section):
    spanish_share: Rate = 0.2
    confirmation_at: time = time(17, 0)
    confirm_reply_rate: Rate = 0.85
    reply_delay: Delay = Delay(median_minutes=20, sigma=0.9, max_minutes=180)
    callout_rate: Rate = 0.05
    callout_channels: dict[CalloutChannel, Weight] = {"reply": 0.4, "evening": 0.2, "morning": 0.4}
    evening_callout_from: time = time(18, 0)
    evening_callout_until: time = time(22, 0)
    morning_callout_from: time = time(4, 30)
    morning_callout_until: time = time(6, 30)
    offer_reply_rate: Rate = 0.7
    offer_accept_share: Rate = 0.7
    offer_replies_per_gap: Annotated[int, Field(ge=0, le=20)] = 2
    offer_reply_delay: Delay = Delay(median_minutes=8, sigma=0.8, max_minutes=90)
    commute_minutes: Annotated[float, Field(ge=0, le=180)] = 30.0
    manual_reassign_delay: Delay = Delay(median_minutes=60, sigma=0.5, max_minutes=240)

    @model_validator(mode="after")
    def _channels(self) -> DriversSection:
        _weights_positive(self.callout_channels, "callout_channels")
        if self.evening_callout_until <= self.evening_callout_from:
            raise ValueError("evening_callout_until must be after evening_callout_from")
        if self.morning_callout_until <= self.morning_callout_from:
            raise ValueError("morning_callout_until must be after morning_callout_from")
        return self


class RecipientsSection(_Section):
    spanish_share: Rate = 0.2
    phone_share: Rate = 0.95
    email_share: Rate = 0.6
    pool_factor: Annotated[float, Field(ge=0.1, le=100)] = 5.0
    apartment_share: Rate = 0.3
    instructions_rate: Rate = 0.1
    reply_after_failure_rate: Rate = 0.4
    reply_delay: Delay = Delay(median_minutes=20, sigma=1.0, max_minutes=600)
    reply_intents: dict[RecipientIntent, Weight] = {
        "reschedule": 0.35, "neighbour": 0.12, "safe_place": 0.15, "pickup": 0.06,
        "question": 0.17, "stop": 0.05, "thanks": 0.10,
    }
    notice_reply_rate: Rate = 0.01
    notice_intents: dict[NoticeIntent, Weight] = {
        "instructions": 0.45, "reschedule": 0.2, "question": 0.25, "stop": 0.1,
    }

    @model_validator(mode="after")
    def _intents(self) -> RecipientsSection:
        _weights_positive(self.reply_intents, "reply_intents")
        _weights_positive(self.notice_intents, "notice_intents")
        return self


class MixSection(_Section):
    """Relative weights by depot or shipper id; any id left out weighs 1."""

    depots: dict[str, Weight] = {}
    shippers: dict[str, Weight] = {}


class Scenario(_Section):
    name: str = "default"
    description: str = ("A typical parcel day: ~5% failed first attempts, 2-4 h windows, a few "
                        "callouts and exceptions.")
    day: DaySection = DaySection()
    planning: PlanningSection = PlanningSection()
    travel: TravelSection = TravelSection()
    windows: WindowsSection = WindowsSection()
    drift: DriftSection = DriftSection()
    outcomes: OutcomesSection = OutcomesSection()
    exceptions: ExceptionsSection = ExceptionsSection()
    fleet: FleetSection = FleetSection()
    drivers: DriversSection = DriversSection()
    recipients: RecipientsSection = RecipientsSection()
    mix: MixSection = MixSection()


def load_scenario(path: Path | str | None = None) -> Scenario:
    """The scenario in `path`, or the default one; a bad file raises ConfigError naming the
    file, the field and what was expected."""
    if path is None:
        return Scenario()
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such scenario file")
    raw = load_toml(path)
    try:
        return Scenario.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(describe_validation_error(path, err).replace(
            "the configuration does not hold up", "the scenario does not hold up")) from None
