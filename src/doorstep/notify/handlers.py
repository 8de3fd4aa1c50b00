"""What the event handlers ask of notify: a route's start, an arrival, a new platform ETA, an
outcome. Each returns the actions to apply in the event's transaction."""

from __future__ import annotations

from datetime import datetime

from doorstep.domain import Attempt, Delivery, DeliveryStatus, Route, RouteStatus
from doorstep.events.processing import Ctx
from doorstep.notify import live
from doorstep.windows.model import LIVE
from doorstep.workflows import notify
from doorstep.workflows.actions import Action


def route_started(ctx: Ctx, route: Route, on_board: list[Delivery]) -> list[Action]:
    """Every delivery that went out with the route gets its first live window."""
    lives = live.at_start(ctx.policies.window_model(), route, ctx.at)
    held = live.held_on(ctx.session, route.id)
    actions: list[Action] = []
    for delivery in on_board:
        a = live.addressee(ctx, delivery)
        if a is None:
            continue
        estimate = lives.get(delivery.id)
        if estimate is None:
            actions += notify.without_times(a, route.id, None)
            continue
        more, after = notify.on_route_started(a, route.id, held.get(delivery.id), estimate)
        live.keep(ctx.session, delivery, route.id, held.get(delivery.id), after, ctx.now)
        actions += more
    return actions


def _pending(ctx: Ctx, route: Route, todo: list[live.Planned],
             lives: dict[str, notify.Live | None]) -> list[Action]:
    held = live.held_on(ctx.session, route.id)
    actions: list[Action] = []
    for gap, p in enumerate(todo, start=1):
        row = p.delivery
        if row.status != DeliveryStatus.OUT_FOR_DELIVERY or p.delivery_id not in lives:
            continue
        a = live.addressee(ctx, row)
        if a is None:
            continue
        estimate = lives[p.delivery_id]
        if estimate is None:
            actions += notify.without_times(a, route.id, gap)
            continue
        more, after = notify.on_progress(a, route.id, held.get(row.id), estimate)
        live.keep(ctx.session, row, route.id, held.get(row.id), after, ctx.now)
        actions += more
    return actions


def _running(ctx: Ctx, delivery: Delivery) -> Route | None:
    route = ctx.get(Route, delivery.route_id) if delivery.route_id else None
    if route is None or route.status is not RouteStatus.IN_PROGRESS:
        return None
    return route


def arrival(ctx: Ctx, delivery: Delivery, at: datetime) -> list[Action]:
    """The driver reached a stop: the window held there is settled, and every stop to come is
    estimated again from how late this one was."""
    route = _running(ctx, delivery)
    if route is None:
        return []
    live.arrived(ctx.session, delivery.id, route.id, at)
    todo = live.pending(ctx.session, route.id, without=delivery.id)
    late = ((at - delivery.planned_arrival).total_seconds() / 60
            if delivery.planned_arrival is not None else 0.0)
    lives = live.estimates(ctx.policies.window_model(), route.depot_id, LIVE, late, at, todo)
    return _pending(ctx, route, todo, lives)


def eta(ctx: Ctx, delivery: Delivery, eta_at: datetime) -> list[Action]:
    """A platform's ETA for one stop: that stop's estimate, as late as the platform says."""
    route = _running(ctx, delivery)
    if route is None or delivery.planned_arrival is None:
        return []
    todo = live.pending(ctx.session, route.id)
    mine = next((i for i, p in enumerate(todo) if p.delivery_id == delivery.id), None)
    if mine is None:
        return []
    late = (eta_at - delivery.planned_arrival).total_seconds() / 60
    lives = live.estimates(ctx.policies.window_model(), route.depot_id, LIVE, late,
                           ctx.at, todo[:mine + 1])
    return _pending(ctx, route, todo[mine:mine + 1], {delivery.id: lives.get(delivery.id)})


def outcome(ctx: Ctx, delivery: Delivery, attempt: Attempt, arrived_before: datetime | None
            ) -> list[Action]:
    """Delivered or failed: an arrival if none was reported, then the confirmation (with the
    proof of delivery), or for a time-sensitive delivery that failed, dispatch's alert."""
    actions = arrival(ctx, delivery, attempt.occurred_at) if arrived_before is None else []
    a = live.addressee(ctx, delivery)
    if a is None:
        return actions
    if delivery.status is DeliveryStatus.DELIVERED:
        return actions + notify.on_delivered(
            a, attempt.occurred_at, attempt.pod_received_by,
            bool(attempt.pod_photo_url))
    reason = attempt.failure_reason.value if attempt.failure_reason else None
    return actions + notify.on_failed(a, attempt.number, reason)
