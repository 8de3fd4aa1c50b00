"""Deliveries: created, on their way, arrived, delivered or failed, cancelled."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import (
    Attempt,
    Delivery,
    DeliveryStatus,
    Depot,
    DomainError,
    EventType,
    FailureReason,
    Market,
    ProofOfDelivery,
    Recipient,
    Route,
    Shipper,
    Stop,
    StopStatus,
)
from doorstep.domain.delivery import AttemptOutcome
from doorstep.events import format as f
from doorstep.events.keys import recipient_id
from doorstep.events.processing import Ctx, Outcome, applied, deferred, flagged, handles, ignored
from doorstep.notify import handlers as notices
from doorstep.store.tables import attempts, deliveries, stops
from doorstep.workflows import recover
from doorstep.workflows.actions import Action


@handles(EventType.DELIVERY_CREATED)
def delivery_created(ctx: Ctx, data: f.DeliveryCreated) -> Outcome:
    depot = ctx.get(Depot, data.depot)
    if depot is None:
        return flagged(f"unknown depot {data.depot!r}")
    if ctx.get(Shipper, data.shipper) is None:
        return flagged(f"unknown shipper {data.shipper!r}")
    rid = recipient_id(data.recipient.model_dump(), data.address.model_dump())
    recipient = ctx.get(Recipient, rid)
    if recipient is None:
        ctx.add(Recipient(id=rid, name=data.recipient.name, phone=data.recipient.phone,
                          email=data.recipient.email, language=data.recipient.language), rid)
    else:
        recipient.name = data.recipient.name
        if data.recipient.email and data.recipient.email != recipient.email:
            recipient.email, recipient.email_invalid_at = data.recipient.email, None
        recipient.language = data.recipient.language
    delivery = ctx.get(Delivery, data.delivery_id)
    details = _details(data, rid, ctx)
    if delivery is None:
        ctx.add(Delivery(id=data.delivery_id, shipper_id=data.shipper, market_id=depot.market_id,
                         depot_id=depot.id, status_at=ctx.at, **details), data.delivery_id)
    elif delivery.is_final():
        return ignored(f"delivery is {delivery.status.value}")
    elif delivery.details_at is not None and ctx.at < delivery.details_at:
        return ignored("older details than the ones recorded")
    else:  # corrected details: address, window, the recipient (a new phone is a new person)
        for key, value in details.items():
            setattr(delivery, key, value)
    return applied(known=[f"delivery:{data.delivery_id}"])


def _details(data: f.DeliveryCreated, rid: str, ctx: Ctx) -> dict[str, Any]:
    a = data.address
    return dict(recipient_id=rid, service_date=data.service_date, address_line1=a.line1,
                address_line2=a.line2, address_city=a.city, address_region=a.region,
                address_postal_code=a.postal_code, address_country=a.country,
                address_lat=a.lat, address_lon=a.lon, window_start=data.window_start,
                window_end=data.window_end, time_sensitive=data.time_sensitive,
                instructions=data.instructions, details_at=ctx.at)


def _delivery(ctx: Ctx, delivery_id: str) -> Delivery | None:
    return ctx.get(Delivery, delivery_id)


def _stop(ctx: Ctx, delivery: Delivery) -> Stop | None:
    if delivery.route_id is None:
        return None
    return ctx.get(Stop, (delivery.route_id, delivery.id))


@handles(EventType.DELIVERY_ETA_UPDATED)
def delivery_eta_updated(ctx: Ctx, data: f.DeliveryEtaUpdated) -> Outcome:
    delivery = _delivery(ctx, data.delivery_id)
    if delivery is None:
        return deferred(f"delivery:{data.delivery_id}")
    if delivery.is_final() or delivery.arrived_at is not None:
        return ignored("the delivery is past its ETA")
    # The stop keeps the planned ETA; the live one is the delivery's.
    if not delivery.update_eta(data.eta, ctx.at):
        return ignored("an older ETA than the one held")
    return applied(actions=notices.eta(ctx, delivery, data.eta))


@handles(EventType.DELIVERY_ARRIVED)
def delivery_arrived(ctx: Ctx, data: f.DeliveryRef) -> Outcome:
    delivery = _delivery(ctx, data.delivery_id)
    if delivery is None:
        return deferred(f"delivery:{data.delivery_id}")
    if delivery.arrived_at is not None and delivery.arrived_at >= ctx.at:
        return ignored("arrival already recorded")
    if delivery.is_stale(ctx.at):  # an earlier attempt's arrival, reported after a re-plan
        return ignored(f"older than the recorded {delivery.status.value}")
    try:
        delivery.arrive(ctx.at)  # the stop records it when it is finished
    except DomainError as err:
        return ignored(str(err))
    return applied(actions=notices.arrival(ctx, delivery, ctx.at))


def close_stop(ctx: Ctx, stop: Stop, delivery: Delivery, delivered: bool, at: datetime) -> None:
    """The stop's outcome, counted once on its route."""
    if stop.status not in (StopStatus.PLANNED, StopStatus.ARRIVED):
        return
    if stop.route_id == delivery.route_id:
        stop.arrived_at = stop.arrived_at or delivery.arrived_at
        stop.eta = delivery.eta
    stop.move(StopStatus.DONE if delivered else StopStatus.FAILED, at)
    route = ctx.get(Route, stop.route_id)
    if route is not None:
        route.record_stop(delivered)


def _overtaken_stop(ctx: Ctx, delivery: Delivery) -> Stop | None:
    """The open stop of an earlier route that a newer plan took the delivery away from."""
    for stop in ctx.session.scalars(sa.select(Stop).where(stops.c.delivery_id == delivery.id)):
        route = ctx.get(Route, stop.route_id)
        if (stop.route_id != delivery.route_id and stop.status in (StopStatus.PLANNED,
                                                                   StopStatus.ARRIVED)
                and route is not None and route.started_at is not None
                and route.started_at <= ctx.at):
            return stop
    return None


def _record_outcome(ctx: Ctx, delivery: Delivery, reason: FailureReason | None,
                    pod: ProofOfDelivery | None, notes: str | None) -> Attempt | Outcome:
    """Apply a delivered (reason None) or failed attempt; an Outcome when it changes nothing."""
    delivered = reason is None
    target = DeliveryStatus.DELIVERED if delivered else DeliveryStatus.FAILED
    if delivery.status is target and delivery.status_at == ctx.at:
        return ignored(f"already {target.value}")
    if delivery.is_stale(ctx.at):
        stop = _overtaken_stop(ctx, delivery)
        if stop is None:
            return ignored(f"older than the recorded {delivery.status.value}")
        attempt = delivery.record_past_attempt(ctx.at, stop.route_id, reason, pod, notes)
        close_stop(ctx, stop, delivery, delivered, ctx.at)
        return attempt
    try:
        attempt = (delivery.deliver(ctx.at, pod or ProofOfDelivery(), notes) if delivered
                   else delivery.fail(ctx.at, reason or FailureReason.OTHER, notes))
    except DomainError as err:
        return ignored(str(err))
    stop = _stop(ctx, delivery)
    if stop is not None:
        close_stop(ctx, stop, delivery, delivered, ctx.at)
    return attempt


@handles(EventType.DELIVERY_DELIVERED)
def delivery_delivered(ctx: Ctx, data: f.DeliveryDelivered) -> Outcome:
    delivery = _delivery(ctx, data.delivery_id)
    if delivery is None:
        return deferred(f"delivery:{data.delivery_id}")
    pod = ProofOfDelivery(photo_url=data.pod.photo_url, signature_url=data.pod.signature_url,
                          received_by=data.pod.received_by)
    arrived_before = delivery.arrived_at
    result = _record_outcome(ctx, delivery, None, pod, data.notes)
    if isinstance(result, Outcome):
        return result
    return applied(actions=_notices(ctx, delivery, result, arrived_before))


def _notices(ctx: Ctx, delivery: Delivery, attempt: Attempt,
             arrived_before: datetime | None) -> list[Action]:
    """An attempt on the route the delivery is on now is news; one reported late for an
    earlier route is not."""
    if attempt.route_id not in (None, delivery.route_id) or delivery.status_at != ctx.at:
        return []
    return notices.outcome(ctx, delivery, attempt, arrived_before)


@handles(EventType.DELIVERY_FAILED)
def delivery_failed(ctx: Ctx, data: f.DeliveryFailed) -> Outcome:
    delivery = _delivery(ctx, data.delivery_id)
    if delivery is None:
        return deferred(f"delivery:{data.delivery_id}")
    arrived_before = delivery.arrived_at
    result = _record_outcome(ctx, delivery, data.reason, None, data.notes)
    if isinstance(result, Outcome):
        return result
    ctx.session.flush()
    told = _notices(ctx, delivery, result, arrived_before)
    recipient = ctx.get(Recipient, delivery.recipient_id)
    shipper = ctx.get(Shipper, delivery.shipper_id)
    market = ctx.get(Market, delivery.market_id)
    assert recipient and shipper and market  # foreign keys guarantee them
    return applied(actions=[*told, *recover.on_failed(
        delivery, result, recipient, shipper, market,
        address_failures(ctx.session, delivery), ctx.policies.recover)])


def address_failures(session: Session, delivery: Delivery) -> int:
    """Failed attempts at the delivery's address for reasons that lie with the address."""
    stmt = (sa.select(sa.func.count()).select_from(attempts.join(deliveries))
            .where(attempts.c.outcome == AttemptOutcome.FAILED,
                   attempts.c.failure_reason.in_(recover.ADDRESS_REASONS),
                   deliveries.c.address_postal_code == delivery.address_postal_code,
                   sa.func.lower(deliveries.c.address_line1) == delivery.address_line1.lower()))
    return int(session.scalar(stmt) or 0)


@handles(EventType.DELIVERY_CANCELLED)
def delivery_cancelled(ctx: Ctx, data: f.DeliveryCancelled) -> Outcome:
    delivery = _delivery(ctx, data.delivery_id)
    if delivery is None:
        return deferred(f"delivery:{data.delivery_id}")
    if delivery.status is DeliveryStatus.CANCELLED:
        return ignored("already cancelled")
    try:
        delivery.cancel(ctx.at)
    except DomainError as err:
        return ignored(str(err))
    stop = _stop(ctx, delivery)
    if stop is not None and stop.status is StopStatus.PLANNED:
        stop.move(StopStatus.REMOVED, ctx.at)
    return applied()
