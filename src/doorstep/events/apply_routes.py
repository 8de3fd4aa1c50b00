"""Routes: planned with their ordered stops, started, completed."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain import (
    Delivery,
    DeliveryStatus,
    Depot,
    Driver,
    EventType,
    IllegalTransition,
    Route,
    RouteStatus,
    Shift,
    Stop,
    StopStatus,
    Vehicle,
)
from doorstep.domain.delivery import DELIVERY_LIFECYCLE
from doorstep.events import format as f
from doorstep.events.apply_deliveries import close_stop
from doorstep.events.processing import Ctx, Outcome, applied, deferred, flagged, handles, ignored
from doorstep.notify import handlers as notices
from doorstep.store.tables import stops


@handles(EventType.ROUTE_PLANNED)
def route_planned(ctx: Ctx, data: f.RoutePlanned) -> Outcome:
    s = ctx.session
    depot = ctx.get(Depot, data.depot)
    if depot is None:
        return flagged(f"unknown depot {data.depot!r}")
    for kind, cls, ref in (("driver", Driver, data.driver_id), ("vehicle", Vehicle, data.vehicle_id),
                           ("shift", Shift, data.shift_id)):
        if ref and ctx.get(cls, ref) is None:
            return deferred(f"{kind}:{ref}")
    ids = [stop.delivery_id for stop in data.stops]
    found = {i: x for i in ids if (x := ctx.get(Delivery, i)) is not None}
    missing = next((i for i in ids if i not in found), None)
    if missing is not None:
        return deferred(f"delivery:{missing}")
    route = ctx.get(Route, data.route_id)
    if route is None:
        route = Route(id=data.route_id, market_id=depot.market_id, depot_id=depot.id,
                      service_date=data.service_date)
        ctx.add(route, route.id)
    elif route.status is not RouteStatus.PLANNED:
        return ignored(f"route is {route.status.value}; its plan is fixed")
    elif route.planned_at is not None and ctx.at < route.planned_at:
        return ignored("an older plan than the one in force")
    route.driver_id, route.vehicle_id, route.shift_id = data.driver_id, data.vehicle_id, data.shift_id
    route.planned_start, route.planned_end = data.planned_start, data.planned_end
    route.planned_at = ctx.at
    route.stop_count = len(data.stops)
    existing = {st.delivery_id: st for st in s.scalars(
        sa.select(Stop).where(stops.c.route_id == route.id))}
    for planned in data.stops:
        delivery = found[planned.delivery_id]
        stop = existing.pop(planned.delivery_id, None)
        if stop is None:
            stop = Stop(route_id=route.id, sequence=planned.sequence,
                        delivery_id=planned.delivery_id, planned_arrival=planned.planned_arrival,
                        eta=planned.planned_arrival)
            ctx.add(stop, (route.id, planned.delivery_id))
        else:
            stop.sequence, stop.planned_arrival = planned.sequence, planned.planned_arrival
        if _outcome_came_first(delivery, route.id, ctx):
            _attach_outcome(ctx, delivery, route, stop, planned.sequence)
        elif not delivery.is_stale(ctx.at) and _may_schedule(delivery, route.id):
            _leave_other_route(ctx, delivery, route.id)
            delivery.schedule(route.id, planned.sequence, planned.planned_arrival, ctx.at)
        elif delivery.route_id == route.id:
            delivery.stop_sequence = planned.sequence
    for dropped in existing.values():  # taken off the route by the new plan
        if dropped.status is StopStatus.PLANNED:
            dropped.move(StopStatus.REMOVED, ctx.at)
            taken_off = ctx.get(Delivery, dropped.delivery_id)
            if (taken_off is not None and taken_off.route_id == route.id
                    and taken_off.status is DeliveryStatus.SCHEDULED):
                taken_off.unschedule(ctx.at)
    return applied(known=[f"route:{data.route_id}"])


def _may_schedule(delivery: Delivery, route_id: str) -> bool:
    moving = delivery.status is DeliveryStatus.SCHEDULED and delivery.route_id != route_id
    return moving or DELIVERY_LIFECYCLE.allowed(delivery.status, DeliveryStatus.SCHEDULED)


def _leave_other_route(ctx: Ctx, delivery: Delivery, route_id: str) -> None:
    """A delivery planned onto another route before its first route started leaves that route.
    Once the first route is out, the parcel is on board: its stop stays open for the outcome."""
    if delivery.route_id is None or delivery.route_id == route_id:
        return
    old = ctx.get(Route, delivery.route_id)
    if old is not None and old.status is not RouteStatus.PLANNED:
        return
    stop = ctx.get(Stop, (delivery.route_id, delivery.id))
    if stop is not None and stop.status is StopStatus.PLANNED:
        stop.move(StopStatus.REMOVED, ctx.at)


def _outcome_came_first(delivery: Delivery, route_id: str, ctx: Ctx) -> bool:
    """The attempt on this route was reported before the plan that put the delivery on it."""
    return (delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
            and delivery.route_id in (None, route_id) and delivery.is_stale(ctx.at))


def _attach_outcome(ctx: Ctx, delivery: Delivery, route: Route, stop: Stop, sequence: int) -> None:
    delivery.route_id, delivery.stop_sequence = route.id, sequence
    if delivery.attempts and delivery.attempts[-1].route_id is None:
        delivery.attempts[-1].route_id = route.id
    assert delivery.status_at is not None
    close_stop(ctx, stop, delivery, delivery.status is DeliveryStatus.DELIVERED,
               delivery.status_at)


@handles(EventType.ROUTE_STARTED)
def route_started(ctx: Ctx, data: f.RouteRef) -> Outcome:
    route = ctx.get(Route, data.route_id)
    if route is None:
        return deferred(f"route:{data.route_id}")
    try:
        route.start(ctx.at)
    except IllegalTransition as err:
        return ignored(str(err))
    # Preloaded (and locked, on PostgreSQL, before the route, as every batch locks them).
    on_board = [d for d in ctx.pre.on_route(route.id) if d.status is DeliveryStatus.SCHEDULED]
    out = [d for d in on_board if not d.is_stale(ctx.at)]
    for delivery in out:
        delivery.go_out(ctx.at)
    return applied(actions=notices.route_started(ctx, route, out))


@handles(EventType.ROUTE_COMPLETED)
def route_completed(ctx: Ctx, data: f.RouteRef) -> Outcome:
    route = ctx.get(Route, data.route_id)
    if route is None:
        return deferred(f"route:{data.route_id}")
    try:
        route.complete(ctx.at)
    except IllegalTransition as err:
        return ignored(str(err))
    return applied()
