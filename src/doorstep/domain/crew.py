"""Drivers, vehicles, shifts, the gaps a callout leaves and the offers that fill them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from doorstep.domain.lifecycle import Lifecycle
from doorstep.domain.timeutil import require_aware


class VehicleClass(StrEnum):
    CARGO_VAN = "cargo_van"
    BOX_TRUCK = "box_truck"
    CAR = "car"
    REFRIGERATED_VAN = "refrigerated_van"
    CARGO_BIKE = "cargo_bike"


@dataclass
class Driver:
    id: str
    name: str
    market_id: str
    depot_id: str
    phone: str | None = None
    email: str | None = None
    on_call: bool = False
    active: bool = True
    on_duty: bool = False
    language: str = "en"
    updated_at: datetime | None = None  # when these details were given
    duty_at: datetime | None = None  # when on_duty was last reported


@dataclass
class Vehicle:
    id: str
    depot_id: str
    vehicle_class: VehicleClass
    capacity: int = 0
    plate: str | None = None
    active: bool = True
    updated_at: datetime | None = None


class ShiftStatus(StrEnum):
    PLANNED = "planned"
    CONFIRMATION_SENT = "confirmation_sent"
    CONFIRMED = "confirmed"
    CALLOUT = "callout"
    NO_RESPONSE = "no_response"


SHIFT_LIFECYCLE: Lifecycle[ShiftStatus] = Lifecycle(
    "shift",
    {
        ShiftStatus.PLANNED: [ShiftStatus.CONFIRMATION_SENT, ShiftStatus.CONFIRMED,
                              ShiftStatus.CALLOUT],
        ShiftStatus.CONFIRMATION_SENT: [ShiftStatus.CONFIRMED, ShiftStatus.CALLOUT,
                                        ShiftStatus.NO_RESPONSE],
        # A confirmed driver can still call out at 5 a.m.; a silent one can still answer.
        ShiftStatus.CONFIRMED: [ShiftStatus.CALLOUT],
        ShiftStatus.NO_RESPONSE: [ShiftStatus.CONFIRMED, ShiftStatus.CALLOUT],
        ShiftStatus.CALLOUT: [],
    },
)


@dataclass
class Shift:
    """One driver's working day at a depot, in a vehicle."""

    id: str
    depot_id: str
    service_date: date
    starts_at: datetime
    ends_at: datetime
    driver_id: str | None = None
    vehicle_id: str | None = None
    status: ShiftStatus = ShiftStatus.PLANNED
    status_at: datetime | None = None
    callout_reason: str | None = None
    planned_at: datetime | None = None  # when the plan in force was made

    def move(self, target: ShiftStatus, at: datetime) -> None:
        SHIFT_LIFECYCLE.check(self.status, target)
        self.status_at = require_aware(at)
        self.status = target

    def call_out(self, at: datetime, reason: str | None) -> None:
        self.move(ShiftStatus.CALLOUT, at)
        self.callout_reason = reason


class GapStatus(StrEnum):
    OPEN = "open"
    OFFERED = "offered"
    FILLED = "filled"
    UNFILLED = "unfilled"  # nobody took it before the shift began


GAP_LIFECYCLE: Lifecycle[GapStatus] = Lifecycle(
    "gap",
    {
        GapStatus.OPEN: [GapStatus.OFFERED, GapStatus.FILLED, GapStatus.UNFILLED],
        GapStatus.OFFERED: [GapStatus.FILLED, GapStatus.UNFILLED, GapStatus.OPEN],
        GapStatus.FILLED: [],
        GapStatus.UNFILLED: [],
    },
)


@dataclass
class Gap:
    """A shift without a driver."""

    id: str
    shift_id: str
    opened_at: datetime
    status: GapStatus = GapStatus.OPEN
    filled_by_driver_id: str | None = None
    closed_at: datetime | None = None

    def move(self, target: GapStatus, at: datetime) -> None:
        GAP_LIFECYCLE.check(self.status, target)
        if target in (GapStatus.FILLED, GapStatus.UNFILLED):
            self.closed_at = require_aware(at)
        self.status = target

    def fill(self, driver_id: str, at: datetime) -> None:
        self.move(GapStatus.FILLED, at)
        self.filled_by_driver_id = driver_id


class OfferStatus(StrEnum):
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"  # someone else took the shift first


OFFER_LIFECYCLE: Lifecycle[OfferStatus] = Lifecycle(
    "offer",
    {
        OfferStatus.SENT: [OfferStatus.ACCEPTED, OfferStatus.DECLINED, OfferStatus.EXPIRED,
                           OfferStatus.WITHDRAWN],
        OfferStatus.ACCEPTED: [],
        OfferStatus.DECLINED: [],
        OfferStatus.EXPIRED: [],
        OfferStatus.WITHDRAWN: [],
    },
)


@dataclass
class Offer:
    """A gap offered to one driver."""

    id: str
    gap_id: str
    driver_id: str
    sent_at: datetime
    status: OfferStatus = OfferStatus.SENT
    answered_at: datetime | None = None

    def move(self, target: OfferStatus, at: datetime) -> None:
        OFFER_LIFECYCLE.check(self.status, target)
        self.answered_at = require_aware(at)
        self.status = target
