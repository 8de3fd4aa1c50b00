"""doorstep's own event format, version 1.

An event is a JSON object: `{"version": "1", "id", "type", "occurred_at", "data"}`. `id` is unique
for the sender and makes redelivery harmless; `occurred_at` is when the fact happened (ISO 8601
with an offset), which is what orders facts about one thing. `data` has one shape per type,
below. Unknown fields are refused, so a typo is an error rather than a silently missing value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from doorstep.domain import EventType, ExceptionKind, FailureReason, Severity, VehicleClass

FORMAT_VERSION = "1"

Id = Annotated[str, StringConstraints(min_length=1, max_length=128, strip_whitespace=True)]
Text = Annotated[str, StringConstraints(max_length=2000)]
Lang = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}(-[A-Z]{2})?$")]
Phone = Annotated[str, StringConstraints(pattern=r"^\+[1-9]\d{6,14}$")]
Email = Annotated[str, StringConstraints(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def _in_range(value: datetime) -> datetime:
    if not EARLIEST <= value < LATEST:
        raise ValueError("expected a time between the years 2000 and 2099")
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DriverUpserted(Strict):
    driver_id: Id
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    depot: Id
    phone: Phone | None = None
    email: Email | None = None
    on_call: bool = False
    active: bool = True
    language: Lang = "en"


class DriverDutyChanged(Strict):
    driver_id: Id
    on_duty: bool


class VehicleUpserted(Strict):
    vehicle_id: Id
    depot: Id
    vehicle_class: VehicleClass
    capacity: Annotated[int, Field(ge=0, le=100_000)] = 0
    plate: Annotated[str, StringConstraints(max_length=32)] | None = None
    active: bool = True


class ShiftPlanned(Strict):
    shift_id: Id
    depot: Id
    service_date: date
    starts_at: Instant
    ends_at: Instant
    driver_id: Id | None = None
    vehicle_id: Id | None = None

    @model_validator(mode="after")
    def _ends_after_start(self) -> ShiftPlanned:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class ShiftConfirmed(Strict):
    shift_id: Id


class ShiftCallout(Strict):
    shift_id: Id
    reason: Text | None = None


class RecipientData(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    phone: Phone | None = None
    email: Email | None = None
    language: Lang = "en"


class AddressData(Strict):
    line1: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    line2: Annotated[str, StringConstraints(max_length=200)] | None = None
    city: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    region: Annotated[str, StringConstraints(max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(min_length=1, max_length=20)]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = "US"
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None


class DeliveryCreated(Strict):
    delivery_id: Id
    shipper: Id
    depot: Id
    service_date: date
    recipient: RecipientData
    address: AddressData
    window_start: Instant | None = None
    window_end: Instant | None = None
    time_sensitive: bool = False
    instructions: Text | None = None

    @model_validator(mode="after")
    def _window_in_order(self) -> DeliveryCreated:
        if (self.window_start is None) != (self.window_end is None):
            raise ValueError("window_start and window_end come together")
        if self.window_start and self.window_end and self.window_end <= self.window_start:
            raise ValueError("window_end must be after window_start")
        return self


class DeliveryEtaUpdated(Strict):
    delivery_id: Id
    eta: Instant


class DeliveryRef(Strict):
    delivery_id: Id


class ProofOfDeliveryData(Strict):
    photo_url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    signature_url: Annotated[str, StringConstraints(max_length=2000)] | None = None
    received_by: Annotated[str, StringConstraints(max_length=200)] | None = None


class DeliveryDelivered(Strict):
    delivery_id: Id
    pod: ProofOfDeliveryData = ProofOfDeliveryData()
    notes: Text | None = None


class DeliveryFailed(Strict):
    delivery_id: Id
    reason: FailureReason
    notes: Text | None = None


class DeliveryCancelled(Strict):
    delivery_id: Id
    reason: Text | None = None


class StopData(Strict):
    delivery_id: Id
    sequence: Annotated[int, Field(ge=1, le=10_000)]
    planned_arrival: Instant | None = None


class RoutePlanned(Strict):
    route_id: Id
    depot: Id
    service_date: date
    planned_start: Instant
    planned_end: Instant | None = None
    driver_id: Id | None = None
    vehicle_id: Id | None = None
    shift_id: Id | None = None
    stops: Annotated[list[StopData], Field(max_length=2000)]

    @model_validator(mode="after")
    def _sequences_unique(self) -> RoutePlanned:
        seqs = [s.sequence for s in self.stops]
        if len(seqs) != len(set(seqs)):
            raise ValueError("stop sequences must be unique within a route")
        ids = [s.delivery_id for s in self.stops]
        if len(ids) != len(set(ids)):
            raise ValueError("a delivery appears at most once on a route")
        return self


class RouteRef(Strict):
    route_id: Id


class ExceptionReported(Strict):
    exception_id: Id
    kind: ExceptionKind
    severity: Severity
    market: Id | None = None
    depot: Id | None = None
    route_id: Id | None = None
    driver_id: Id | None = None
    description: Text = ""
    stops_affected: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="after")
    def _placed(self) -> ExceptionReported:
        if not (self.market or self.depot or self.route_id):
            raise ValueError("an exception names a market, a depot or a route")
        return self


class ExceptionResolved(Strict):
    exception_id: Id
    notes: Text | None = None


class MessageReceived(Strict):
    channel: Literal["sms", "email"]
    from_addr: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    to_addr: Annotated[str, StringConstraints(min_length=3, max_length=320)]
    body: Annotated[str, StringConstraints(max_length=5000)]
    provider_id: Annotated[str, StringConstraints(max_length=64)] | None = None


class ReplyUnderstood(Strict):
    message_id: str
    conversation_id: str
    question: str
    subject_type: str
    subject_id: str
    intent: str
    slots: dict[str, Any]
    text: str


DATA_MODELS: dict[EventType, type[Strict]] = {
    EventType.DRIVER_UPSERTED: DriverUpserted,
    EventType.DRIVER_DUTY_CHANGED: DriverDutyChanged,
    EventType.VEHICLE_UPSERTED: VehicleUpserted,
    EventType.SHIFT_PLANNED: ShiftPlanned,
    EventType.SHIFT_CONFIRMED: ShiftConfirmed,
    EventType.SHIFT_CALLOUT: ShiftCallout,
    EventType.DELIVERY_CREATED: DeliveryCreated,
    EventType.DELIVERY_ETA_UPDATED: DeliveryEtaUpdated,
    EventType.DELIVERY_ARRIVED: DeliveryRef,
    EventType.DELIVERY_DELIVERED: DeliveryDelivered,
    EventType.DELIVERY_FAILED: DeliveryFailed,
    EventType.DELIVERY_CANCELLED: DeliveryCancelled,
    EventType.ROUTE_PLANNED: RoutePlanned,
    EventType.ROUTE_STARTED: RouteRef,
    EventType.ROUTE_COMPLETED: RouteRef,
    EventType.EXCEPTION_REPORTED: ExceptionReported,
    EventType.EXCEPTION_RESOLVED: ExceptionResolved,
    EventType.MESSAGE_RECEIVED: MessageReceived,
    EventType.REPLY_UNDERSTOOD: ReplyUnderstood,
}


class Envelope(Strict):
    version: Literal["1"]
    id: Id
    type: EventType
    occurred_at: Instant
    data: dict[str, Any]


def subject_of(event_type: EventType, data: Strict) -> str | None:
    """The thing an event is about: events about one thing are applied in time order."""
    kind = event_type.value.split(".", 1)[0]
    key = {"driver": "driver_id", "vehicle": "vehicle_id", "shift": "shift_id",
           "delivery": "delivery_id", "route": "route_id", "exception": "exception_id"}.get(kind)
    return f"{kind}:{getattr(data, key)}" if key else None


def make_event(event_id: str, event_type: EventType, occurred_at: datetime,
               data: dict[str, Any]) -> dict[str, Any]:
    """Build a v1 event as JSON-ready data (used by the simulator and by senders' examples)."""
    return {"version": FORMAT_VERSION, "id": event_id, "type": event_type.value,
            "occurred_at": occurred_at.isoformat(), "data": data}
