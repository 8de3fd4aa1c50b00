"""Exceptions to the plan: logged, and alerted at once when critical."""

from __future__ import annotations

from doorstep.domain import (
    Depot,
    Driver,
    EventType,
    ExceptionStatus,
    IllegalTransition,
    Market,
    Route,
    RouteException,
)
from doorstep.events import format as f
from doorstep.events.processing import Ctx, Outcome, applied, deferred, flagged, handles, ignored
from doorstep.workflows import exceptions


@handles(EventType.EXCEPTION_REPORTED)
def exception_reported(ctx: Ctx, data: f.ExceptionReported) -> Outcome:
    if ctx.get(RouteException, data.exception_id) is not None:
        return ignored("already reported")
    route = ctx.get(Route, data.route_id) if data.route_id else None
    if data.route_id and route is None:
        return deferred(f"route:{data.route_id}")
    depot_id = data.depot or (route.depot_id if route else None)
    depot = ctx.get(Depot, depot_id) if depot_id else None
    if depot_id and depot is None:
        return flagged(f"unknown depot {depot_id!r}")
    if data.driver_id and ctx.get(Driver, data.driver_id) is None:
        return deferred(f"driver:{data.driver_id}")
    market_id = data.market or (depot.market_id if depot else None)
    market = ctx.get(Market, market_id) if market_id else None
    if market is None:
        return flagged(f"unknown market {market_id!r}")
    exc = RouteException(
        id=data.exception_id, kind=data.kind, severity=data.severity, market_id=market.id,
        reported_at=ctx.at, depot_id=depot_id, route_id=data.route_id,
        driver_id=data.driver_id or (route.driver_id if route else None),
        description=data.description, stops_affected=data.stops_affected)
    ctx.add(exc, exc.id)
    return applied(known=[f"exception:{exc.id}"],
                   actions=exceptions.on_reported(exc, market, ctx.policies.exceptions))


@handles(EventType.EXCEPTION_RESOLVED)
def exception_resolved(ctx: Ctx, data: f.ExceptionResolved) -> Outcome:
    exc = ctx.get(RouteException, data.exception_id)
    if exc is None:
        return deferred(f"exception:{data.exception_id}")
    if exc.status is ExceptionStatus.RESOLVED:
        return ignored("already resolved")
    try:
        exc.move(ExceptionStatus.RESOLVED, ctx.at)
    except IllegalTransition as err:
        return ignored(str(err))
    return applied()
