"""Drivers, vehicles and shifts."""

from __future__ import annotations

from typing import Any

from doorstep.domain import Depot, Driver, EventType, IllegalTransition, Market, Shift, Vehicle
from doorstep.domain.crew import ShiftStatus
from doorstep.events import format as f
from doorstep.events.processing import Ctx, Outcome, applied, deferred, flagged, handles, ignored
from doorstep.workflows import crew


@handles(EventType.DRIVER_UPSERTED)
def driver_upserted(ctx: Ctx, data: f.DriverUpserted) -> Outcome:
    depot = ctx.get(Depot, data.depot)
    if depot is None:
        return flagged(f"unknown depot {data.depot!r}")
    fields: dict[str, Any] = dict(name=data.name, market_id=depot.market_id, depot_id=depot.id, phone=data.phone,
                  email=data.email, on_call=data.on_call, active=data.active,
                  language=data.language)
    return _upsert(ctx, Driver, data.driver_id, fields, "driver")


@handles(EventType.DRIVER_DUTY_CHANGED)
def driver_duty_changed(ctx: Ctx, data: f.DriverDutyChanged) -> Outcome:
    driver = ctx.get(Driver, data.driver_id)
    if driver is None:
        return deferred(f"driver:{data.driver_id}")
    if driver.duty_at is not None and ctx.at < driver.duty_at:
        return ignored("older than the duty status recorded")
    driver.on_duty, driver.duty_at = data.on_duty, ctx.at
    return applied()


@handles(EventType.VEHICLE_UPSERTED)
def vehicle_upserted(ctx: Ctx, data: f.VehicleUpserted) -> Outcome:
    if ctx.get(Depot, data.depot) is None:
        return flagged(f"unknown depot {data.depot!r}")
    fields: dict[str, Any] = dict(depot_id=data.depot, vehicle_class=data.vehicle_class,
                  capacity=data.capacity, plate=data.plate, active=data.active)
    return _upsert(ctx, Vehicle, data.vehicle_id, fields, "vehicle")


@handles(EventType.SHIFT_PLANNED)
def shift_planned(ctx: Ctx, data: f.ShiftPlanned) -> Outcome:
    if ctx.get(Depot, data.depot) is None:
        return flagged(f"unknown depot {data.depot!r}")
    if data.driver_id and ctx.get(Driver, data.driver_id) is None:
        return deferred(f"driver:{data.driver_id}")
    if data.vehicle_id and ctx.get(Vehicle, data.vehicle_id) is None:
        return deferred(f"vehicle:{data.vehicle_id}")
    shift = ctx.get(Shift, data.shift_id)
    if shift is None:
        ctx.add(Shift(id=data.shift_id, depot_id=data.depot, service_date=data.service_date,
                      starts_at=data.starts_at, ends_at=data.ends_at, driver_id=data.driver_id,
                      vehicle_id=data.vehicle_id, status_at=ctx.at, planned_at=ctx.at),
                data.shift_id)
    elif shift.planned_at is not None and ctx.at < shift.planned_at:
        return ignored("an older plan than the one in force")
    else:
        shift.starts_at, shift.ends_at = data.starts_at, data.ends_at
        shift.driver_id, shift.vehicle_id = data.driver_id, data.vehicle_id
        shift.planned_at = ctx.at
    return applied(known=[f"shift:{data.shift_id}"])


@handles(EventType.SHIFT_CONFIRMED)
def shift_confirmed(ctx: Ctx, data: f.ShiftConfirmed) -> Outcome:
    shift = ctx.get(Shift, data.shift_id)
    if shift is None:
        return deferred(f"shift:{data.shift_id}")
    if shift.status is ShiftStatus.CONFIRMED:
        return ignored("already confirmed")
    try:
        shift.move(ShiftStatus.CONFIRMED, ctx.at)
    except IllegalTransition as err:
        return ignored(str(err))
    return applied()


@handles(EventType.SHIFT_CALLOUT)
def shift_callout(ctx: Ctx, data: f.ShiftCallout) -> Outcome:
    shift = ctx.get(Shift, data.shift_id)
    if shift is None:
        return deferred(f"shift:{data.shift_id}")
    if shift.status is ShiftStatus.CALLOUT:
        return ignored("already called out")
    try:
        shift.call_out(ctx.at, data.reason)
    except IllegalTransition as err:
        return ignored(str(err))
    depot = ctx.get(Depot, shift.depot_id)
    market = ctx.get(Market, depot.market_id) if depot else None
    if market is None:
        return flagged(f"shift {shift.id} has no market")
    driver = ctx.get(Driver, shift.driver_id) if shift.driver_id else None
    return applied(actions=crew.on_callout(shift, driver, market, ctx.at))


def _upsert(ctx: Ctx, kind: type[Driver] | type[Vehicle], thing_id: str,
            fields: dict[str, Any], name: str) -> Outcome:
    """Create the driver or vehicle, or bring it up to date — unless what is recorded is newer."""
    thing = ctx.get(kind, thing_id)
    if thing is None:
        ctx.add(kind(id=thing_id, updated_at=ctx.at, **fields), thing_id)
    elif thing.updated_at is not None and ctx.at < thing.updated_at:
        return ignored("older details than the ones recorded")
    else:
        for key, value in fields.items():
            setattr(thing, key, value)
        thing.updated_at = ctx.at
    return applied(known=[f"{name}:{thing_id}"])
