"""What the event handlers ask of notify: a route's start, an arrival, a new platform ETA, an
outcome. The work is done once the batch's events are applied (Ctx.later), so a batch of many
arrivals on a route reads the route's stops to come once; the actions are applied in the same
transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from doorstep.domain import Attempt, AttemptOutcome, Delivery, DeliveryStatus, Route, RouteStatus
from doorstep.events.processing import Ctx
from doorstep.notify import live
from doorstep.windows.model import LIVE
from doorstep.workflows import notify
from doorstep.workflows.actions import Action


def route_started(ctx: Ctx, route: Route, on_board: list[Delivery]) -> list[Action]:
    """Every delivery that went out with the route gets its first live window."""
    ctx.later(f"notify:start:{route.id}", None,
              lambda _: _started(ctx, route, [d for d in on_board
                                              if d.status is DeliveryStatus.OUT_FOR_DELIVERY]))
    return []


def _started(ctx: Ctx, route: Route, on_board: list[Delivery]) -> list[Action]:
    lives = live.at_start(ctx.session, ctx.policies.window_model(), route, route.started_at or ctx.at)
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
    estimated again from how late the latest arrival of the batch was."""
    route = _running(ctx, delivery)
    if route is not None:
        ctx.later(f"notify:route:{route.id}", (delivery.id, delivery.planned_arrival, at),
                  lambda arrivals: _arrivals(ctx, route, arrivals))
    return []


def _arrivals(ctx: Ctx, route: Route, arrivals: list[Any]) -> list[Action]:
    for delivery_id, _, at in arrivals:
        live.arrived(ctx.session, delivery_id, route.id, at)
    _, planned, at = max(arrivals, key=lambda x: x[2])
    todo = live.pending(ctx.session, route.id)
    late = (at - planned).total_seconds() / 60 if planned is not None else 0.0
    lives = live.estimates(ctx.policies.window_model(), route.depot_id, LIVE, late, at, todo)
    return _pending(ctx, route, todo, lives)


def eta(ctx: Ctx, delivery: Delivery, eta_at: datetime) -> list[Action]:
    """A platform's ETA for one stop: that stop's estimate, as late as the platform says."""
    route = _running(ctx, delivery)
    if route is not None and delivery.planned_arrival is not None:
        ctx.later(f"notify:eta:{delivery.id}", eta_at,
                  lambda etas: _eta(ctx, route, delivery, etas[-1]))
    return []


def _eta(ctx: Ctx, route: Route, delivery: Delivery, eta_at: datetime) -> list[Action]:
    todo = live.pending(ctx.session, route.id)
    mine = next((i for i, p in enumerate(todo) if p.delivery_id == delivery.id), None)
    if mine is None or delivery.planned_arrival is None:
        return []
    late = (eta_at - delivery.planned_arrival).total_seconds() / 60
    lives = live.estimates(ctx.policies.window_model(), route.depot_id, LIVE, late,
                           ctx.at, todo[:mine + 1])
    return _pending(ctx, route, todo[mine:mine + 1], {delivery.id: lives.get(delivery.id)})


def outcome(ctx: Ctx, delivery: Delivery, attempt: Attempt, arrived_before: datetime | None
            ) -> list[Action]:
    """Delivered or failed: an arrival if none was reported, then the confirmation (with the
    proof of delivery), or for a time-sensitive delivery that failed, dispatch's alert."""
    if arrived_before is None:
        arrival(ctx, delivery, attempt.occurred_at)
    ctx.later(f"notify:outcome:{delivery.id}:{attempt.number}", None,
              lambda _: _outcome(ctx, delivery, attempt))
    return []


def _outcome(ctx: Ctx, delivery: Delivery, attempt: Attempt) -> list[Action]:
    a = live.addressee(ctx, delivery)
    if a is None:
        return []
    if attempt.outcome is AttemptOutcome.DELIVERED:
        return notify.on_delivered(a, attempt.occurred_at, attempt.pod_received_by,
                                   bool(attempt.pod_photo_url))
    reason = attempt.failure_reason.value if attempt.failure_reason else None
    return notify.on_failed(a, attempt.number, reason)
