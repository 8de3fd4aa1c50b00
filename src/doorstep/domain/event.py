"""Events: normalized inbound facts, stored once by (source, external id)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    """The event types of doorstep's own format, version 1 (see the README)."""

    DRIVER_UPSERTED = "driver.upserted"
    DRIVER_DUTY_CHANGED = "driver.duty_changed"
    VEHICLE_UPSERTED = "vehicle.upserted"
    SHIFT_PLANNED = "shift.planned"
    SHIFT_CONFIRMED = "shift.confirmed"
    SHIFT_CALLOUT = "shift.callout"
    DELIVERY_CREATED = "delivery.created"
    DELIVERY_ETA_UPDATED = "delivery.eta_updated"
    DELIVERY_ARRIVED = "delivery.arrived"
    DELIVERY_DELIVERED = "delivery.delivered"
    DELIVERY_FAILED = "delivery.failed"
    DELIVERY_CANCELLED = "delivery.cancelled"
    ROUTE_PLANNED = "route.planned"
    ROUTE_STARTED = "route.started"
    ROUTE_COMPLETED = "route.completed"
    EXCEPTION_REPORTED = "exception.reported"
    EXCEPTION_RESOLVED = "exception.resolved"
    MESSAGE_RECEIVED = "message.received"
    # doorstep's own: an answer to a question it asked (never accepted from outside)
    REPLY_UNDERSTOOD = "reply.understood"


INTERNAL_TYPES = frozenset({EventType.REPLY_UNDERSTOOD})


class EventStatus(StrEnum):
    STORED = "stored"  # accepted, waiting for its job
    PROCESSED = "processed"
    IGNORED = "ignored"  # harmless: a repeat or a fact older than what is known
    DEFERRED = "deferred"  # refers to something not known yet; tried again later
    FLAGGED = "flagged"  # well-formed but cannot be applied (an unknown depot, say); kept for a person
    FAILED = "failed"  # processing raised; kept for a person, retried by the sweep


@dataclass
class Event:
    source: str
    external_id: str
    type: str
    occurred_at: datetime
    received_at: datetime
    payload: dict[str, Any]
    subject: str | None = None  # "delivery:D-1": events about one thing are applied in order
    status: EventStatus = EventStatus.STORED
    tries: int = 0
    processed_at: datetime | None = None
    note: str | None = None
    waits_for: str | None = None
    next_try_at: datetime | None = None  # deferred or failed: when the sweep tries it again
    id: int | None = None
