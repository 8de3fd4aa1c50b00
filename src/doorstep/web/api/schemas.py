"""What the API answers with: typed, documented models, built from the read models' rows.

Times are ISO 8601 in UTC with their offset (`2026-11-24T16:05:00+00:00`); enums are their
string values; ids are the operator's own (or, for events, doorstep's integer id).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal, Self

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from doorstep.domain import (
    DeliveryStatus,
    EventStatus,
    RouteStatus,
    StopStatus,
    VehicleClass,
)
from doorstep.domain.access import Principal, Role
from doorstep.read.detail import RouteDetail as RouteDetailRead


def _utc_iso(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


UtcTime = Annotated[
    datetime,
    PlainSerializer(_utc_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time",
                    "examples": ["2026-11-24T16:05:00+00:00"]}),
]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def from_row(cls, row: sa.Row[Any], **given: Any) -> Self:
        """The model from the row's columns of the same names, and the values given."""
        m = row._mapping
        return cls.model_validate(
            {**{name: m[name] for name in cls.model_fields if name not in given}, **given})


class Problem(Model):
    """Every error: 401, 403, 404 and 500 carry a sentence; 422 lists what was wrong, each with
    its `loc` (`["query", "status"]`)."""

    detail: str


class Me(Model):
    """Who the token or the session is."""

    kind: Literal["user", "token"]
    name: str
    role: Role
    shipper: str | None = Field(description="the shipper a shipper role is limited to")


def me(who: Principal) -> Me:
    kind: Literal["user", "token"] = "token" if who.kind == "token" else "user"
    return Me(kind=kind, name=who.name, role=who.role, shipper=who.shipper_id)


class Address(Model):
    line1: str
    line2: str | None
    city: str
    region: str | None
    postal_code: str
    country: str = Field(description="ISO 3166-1 alpha-2")
    lat: float | None
    lon: float | None


class Delivery(Model):
    id: str
    shipper_id: str
    market_id: str
    depot_id: str
    service_date: date
    status: DeliveryStatus
    status_at: UtcTime | None
    address: Address
    window_start: UtcTime | None = Field(description="the arrival window promised")
    window_end: UtcTime | None
    time_sensitive: bool
    route_id: str | None
    stop_sequence: int | None
    planned_arrival: UtcTime | None
    eta: UtcTime | None
    arrived_at: UtcTime | None
    delivered_at: UtcTime | None
    attempt_count: int
    instructions: str | None

    @classmethod
    def from_row(cls, row: sa.Row[Any], **given: Any) -> Self:
        m = row._mapping
        address = Address.model_validate({name: m[f"address_{name}"]
                                          for name in Address.model_fields})
        return super().from_row(row, address=address, **given)


class Route(Model):
    id: str
    market_id: str
    depot_id: str
    service_date: date
    status: RouteStatus
    driver_id: str | None
    driver_name: str | None
    vehicle_id: str | None = Field(description="null for a shipper")
    planned_start: UtcTime | None
    planned_end: UtcTime | None
    started_at: UtcTime | None
    completed_at: UtcTime | None
    stop_count: int = Field(description="for a shipper: its own stops only")
    stops_done: int
    stops_failed: int


class Stop(Model):
    sequence: int
    status: StopStatus
    delivery_id: str
    shipper_id: str
    delivery_status: DeliveryStatus
    address_line1: str
    address_city: str
    time_sensitive: bool
    planned_arrival: UtcTime | None
    eta: UtcTime | None
    arrived_at: UtcTime | None
    completed_at: UtcTime | None


class Vehicle(Model):
    id: str
    vehicle_class: VehicleClass
    capacity: int
    plate: str | None
    active: bool


class RouteDetail(Route):
    depot_name: str
    vehicle: Vehicle | None = Field(description="null for a shipper")
    partial: bool = Field(description="true when only the asker's own stops are listed")
    stops: list[Stop] = Field(description="in sequence order")


def route_detail(row: sa.Row[Any], found: RouteDetailRead) -> RouteDetail:
    return RouteDetail.from_row(
        row, depot_name=found.depot_name, partial=found.partial,
        vehicle=Vehicle.from_row(found.vehicle) if found.vehicle is not None else None,
        stops=[Stop.from_row(s) for s in found.stops])


class Driver(Model):
    id: str
    name: str
    market_id: str
    depot_id: str
    phone: str | None
    email: str | None
    language: str
    active: bool
    on_duty: bool
    on_call: bool
    duty_at: UtcTime | None = Field(description="when on_duty was last reported")
    updated_at: UtcTime | None


class Event(Model):
    """An inbound event as stored: what came in, and what processing made of it."""

    id: int
    source: str
    external_id: str
    type: str
    occurred_at: UtcTime
    received_at: UtcTime
    subject: str | None = Field(description='what it is about, e.g. "delivery:D-1"')
    status: EventStatus
    tries: int
    processed_at: UtcTime | None
    note: str | None
    payload: dict[str, Any]
