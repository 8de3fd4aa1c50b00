"""Deliveries, their attempts, proof of delivery and the disposition of a failed attempt."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from doorstep.domain.errors import DomainError
from doorstep.domain.lifecycle import Lifecycle
from doorstep.domain.timeutil import require_aware


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # known, not yet on a route
    SCHEDULED = "scheduled"  # on a route that has not started
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    FAILED = "failed"  # the latest attempt failed; a disposition decides what follows
    RETURNED = "returned"  # back to the shipper
    CANCELLED = "cancelled"


DELIVERY_LIFECYCLE: Lifecycle[DeliveryStatus] = Lifecycle(
    "delivery",
    {
        # A platform may report the outcome before we heard of the route it was on.
        DeliveryStatus.PENDING: [DeliveryStatus.SCHEDULED, DeliveryStatus.OUT_FOR_DELIVERY,
                                 DeliveryStatus.DELIVERED, DeliveryStatus.FAILED,
                                 DeliveryStatus.CANCELLED],
        DeliveryStatus.SCHEDULED: [DeliveryStatus.OUT_FOR_DELIVERY, DeliveryStatus.PENDING,
                                   DeliveryStatus.DELIVERED, DeliveryStatus.FAILED,
                                   DeliveryStatus.CANCELLED],
        DeliveryStatus.OUT_FOR_DELIVERY: [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED,
                                          DeliveryStatus.SCHEDULED, DeliveryStatus.CANCELLED],
        # A driver may come back later the same day without a new plan.
        DeliveryStatus.FAILED: [DeliveryStatus.SCHEDULED, DeliveryStatus.OUT_FOR_DELIVERY,
                                DeliveryStatus.DELIVERED, DeliveryStatus.RETURNED,
                                DeliveryStatus.CANCELLED],
        DeliveryStatus.DELIVERED: [],
        DeliveryStatus.RETURNED: [],
        DeliveryStatus.CANCELLED: [],
    },
)


class FailureReason(StrEnum):
    NOT_HOME = "not_home"
    WRONG_ADDRESS = "wrong_address"
    ACCESS = "access"  # gate, buzzer, locked building
    REFUSED = "refused"
    DAMAGED = "damaged"
    OTHER = "other"


class AttemptOutcome(StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


class DispositionKind(StrEnum):
    REDELIVER = "redeliver"
    PICKUP = "pickup"
    SAFE_PLACE = "safe_place"
    NEIGHBOUR = "neighbour"
    RETURN_TO_SENDER = "return_to_sender"
    ADDRESS_CORRECTED = "address_corrected"


@dataclass
class ProofOfDelivery:
    photo_url: str | None = None
    signature_url: str | None = None
    received_by: str | None = None


@dataclass
class Attempt:
    delivery_id: str
    number: int
    outcome: AttemptOutcome
    occurred_at: datetime
    route_id: str | None = None
    failure_reason: FailureReason | None = None
    notes: str | None = None
    pod_photo_url: str | None = None
    pod_signature_url: str | None = None
    pod_received_by: str | None = None
    id: int | None = None


@dataclass
class Disposition:
    delivery_id: str
    attempt_number: int
    kind: DispositionKind
    decided_at: datetime
    redelivery_date: date | None = None
    notes: str | None = None
    id: int | None = None


@dataclass
class Delivery:
    """One parcel or order to one address, for one shipper's recipient."""

    id: str
    shipper_id: str
    market_id: str
    depot_id: str
    recipient_id: str
    service_date: date
    address_line1: str
    address_city: str
    address_postal_code: str
    window_start: datetime | None = None
    window_end: datetime | None = None
    time_sensitive: bool = False
    status: DeliveryStatus = DeliveryStatus.PENDING
    status_at: datetime | None = None
    route_id: str | None = None
    stop_sequence: int | None = None
    planned_arrival: datetime | None = None
    eta: datetime | None = None
    arrived_at: datetime | None = None
    delivered_at: datetime | None = None
    attempt_count: int = 0
    address_line2: str | None = None
    address_region: str | None = None
    address_country: str = "US"
    address_lat: float | None = None
    address_lon: float | None = None
    instructions: str | None = None
    details_at: datetime | None = None  # when the order's details were last given
    eta_at: datetime | None = None  # when the current ETA was given
    attempts: list[Attempt] = field(default_factory=list)

    def is_final(self) -> bool:
        return DELIVERY_LIFECYCLE.is_final(self.status)

    def is_stale(self, at: datetime) -> bool:
        """Whether a fact dated `at` is older than the status already recorded."""
        return self.status_at is not None and require_aware(at) < self.status_at

    def _move(self, target: DeliveryStatus, at: datetime) -> None:
        DELIVERY_LIFECYCLE.check(self.status, target)
        self.status_at = require_aware(at)
        if self.status is DeliveryStatus.FAILED and target in (DeliveryStatus.SCHEDULED,
                                                              DeliveryStatus.OUT_FOR_DELIVERY):
            self.arrived_at = None  # that arrival belonged to the failed attempt
        self.status = target

    def schedule(self, route_id: str, sequence: int, planned_arrival: datetime | None,
                 at: datetime) -> None:
        if self.status is DeliveryStatus.SCHEDULED and route_id != self.route_id:
            self.status_at = require_aware(at)  # moved to another route before either started
        else:
            self._move(DeliveryStatus.SCHEDULED, at)
        self.route_id = route_id
        self.stop_sequence = sequence
        self.planned_arrival = planned_arrival
        self.eta = planned_arrival

    def unschedule(self, at: datetime) -> None:
        """Taken off the route it was planned on, before that route started."""
        self._move(DeliveryStatus.PENDING, at)
        self.route_id = None
        self.stop_sequence = None
        self.planned_arrival = None

    def go_out(self, at: datetime) -> None:
        self._move(DeliveryStatus.OUT_FOR_DELIVERY, at)

    def update_eta(self, eta: datetime, given_at: datetime) -> bool:
        """Take a new ETA unless a newer one is already held; True if taken."""
        if self.is_final():
            raise DomainError(f"delivery {self.id} is {self.status.value}; its ETA is moot")
        if self.eta_at is not None and require_aware(given_at) < self.eta_at:
            return False
        self.eta = require_aware(eta)
        self.eta_at = given_at
        return True

    def arrive(self, at: datetime) -> None:
        if self.is_final():
            raise DomainError(f"delivery {self.id} is {self.status.value}; no arrival follows")
        self.arrived_at = require_aware(at)

    def deliver(self, at: datetime, pod: ProofOfDelivery, notes: str | None = None) -> Attempt:
        self._move(DeliveryStatus.DELIVERED, at)
        self.delivered_at = at
        return self._attempt(AttemptOutcome.DELIVERED, at, None, notes, pod)

    def fail(self, at: datetime, reason: FailureReason, notes: str | None = None) -> Attempt:
        if self.status is DeliveryStatus.FAILED and self.status_at and at > self.status_at:
            self.status_at = require_aware(at)  # tried again without a new plan, failed again
        else:
            self._move(DeliveryStatus.FAILED, at)
        return self._attempt(AttemptOutcome.FAILED, at, reason, notes, None)

    def record_past_attempt(self, at: datetime, route_id: str, reason: FailureReason | None,
                            pod: ProofOfDelivery | None, notes: str | None = None) -> Attempt:
        """An attempt that happened before the status already recorded (a re-plan for the next
        attempt overtook the report of this one): kept as history, the status stays."""
        outcome = AttemptOutcome.FAILED if reason is not None else AttemptOutcome.DELIVERED
        return self._attempt(outcome, require_aware(at), reason, notes, pod, route_id)

    def cancel(self, at: datetime) -> None:
        self._move(DeliveryStatus.CANCELLED, at)

    def return_to_shipper(self, at: datetime) -> None:
        self._move(DeliveryStatus.RETURNED, at)

    def _attempt(self, outcome: AttemptOutcome, at: datetime, reason: FailureReason | None,
                 notes: str | None, pod: ProofOfDelivery | None,
                 route_id: str | None = None) -> Attempt:
        self.attempt_count += 1
        attempt = Attempt(
            delivery_id=self.id, number=self.attempt_count, outcome=outcome, occurred_at=at,
            route_id=route_id or self.route_id, failure_reason=reason, notes=notes,
            pod_photo_url=pod.photo_url if pod else None,
            pod_signature_url=pod.signature_url if pod else None,
            pod_received_by=pod.received_by if pod else None,
        )
        self.attempts.append(attempt)
        return attempt
