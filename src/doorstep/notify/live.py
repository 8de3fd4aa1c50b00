"""The notify workflow inside event processing: the live estimate of every stop still to come,
the windows recipients hold, and the people a notice goes to — read here, decided in
doorstep.workflows.notify, kept in the decision's transaction.

Other deliveries of the route are read without locks (the batch locks only what its events
name); only their held windows are written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, Delivery, Market, Recipient, Route, Shipper, StopStatus
from doorstep.events.processing import Policies
from doorstep.messaging import addresses, consent
from doorstep.store import tracking
from doorstep.store.tables import deliveries, held_windows, stops
from doorstep.windows.model import LIVE, START, State, WindowModel
from doorstep.windows.model import Stop as ModelStop
from doorstep.workflows.notify import Addressee, Held, Live, People, reach
from doorstep.workflows.notify_policy import NotifyPolicy

T = TypeVar("T")


def _minutes(at: datetime) -> float:
    return at.timestamp() / 60


def _instant(minutes: float) -> datetime:
    return datetime.fromtimestamp(minutes * 60, tz=UTC)


@dataclass(frozen=True)
class Planned:
    delivery_id: str
    sequence: int
    planned: datetime


def pending(s: Session, route_id: str, without: str | None = None) -> list[Planned]:
    """The route's stops still to be reached, in planned order."""
    rows = s.execute(sa.select(stops.c.delivery_id, stops.c.sequence, stops.c.planned_arrival)
                     .join(deliveries, deliveries.c.id == stops.c.delivery_id)
                     .where(stops.c.route_id == route_id, stops.c.status == StopStatus.PLANNED,
                            stops.c.planned_arrival.is_not(None),
                            deliveries.c.arrived_at.is_(None))
                     .order_by(stops.c.planned_arrival, stops.c.sequence))
    return [Planned(r.delivery_id, r.sequence, r.planned_arrival) for r in rows
            if r.delivery_id != without]


def estimates(model: WindowModel, depot: str, phase: str, lateness: float, at: datetime,
              todo: list[Planned]) -> dict[str, Live]:
    """The model's live estimate of each stop to come, `lateness` minutes late."""
    state = State(_minutes(at), phase, lateness, None, ())
    found: dict[str, Live] = {}
    for gap, p in enumerate(todo, start=1):
        stop = ModelStop(p.sequence, _minutes(p.planned), 0.0)
        lo, hi = model.window(stop, state, gap, depot)
        found[p.delivery_id] = Live(gap, _instant(model.point(stop, state, gap, depot)),
                                    (_instant(lo), _instant(hi)))
    return found


def at_start(model: WindowModel, route: Route, started: datetime) -> dict[str, Live]:
    """At the start, a route that left later than usual is expected that much later."""
    todo = pending(route_session(route), route.id)
    if not todo:
        return {}
    late = 0.0
    if model.start_offset is not None:
        late = (_minutes(started) - _minutes(todo[0].planned)) - model.start_offset
    return estimates(model, route.depot_id, START, late, started, todo)


def after_arrival(model: WindowModel, route: Route, arrived: str, planned: datetime,
                  at: datetime) -> dict[str, Live]:
    """After an arrival, every stop to come is expected as late as that one was."""
    todo = pending(route_session(route), route.id, without=arrived)
    return estimates(model, route.depot_id, LIVE, _minutes(at) - _minutes(planned), at, todo)


def route_session(route: Route) -> Session:
    session = Session.object_session(route)
    assert session is not None, "a route in processing belongs to its batch's session"
    return session


# -- windows held ------------------------------------------------------------------------------

def held_on(s: Session, route_id: str) -> dict[str, Held]:
    rows = s.execute(sa.select(held_windows).where(held_windows.c.route_id == route_id))
    return {r.delivery_id: Held((r.window_start, r.window_end), r.updates, r.away_sent,
                                r.near_sent, r.deadline_warned) for r in rows}


def keep(s: Session, delivery: Delivery | DeliveryRow, route_id: str, before: Held | None,
         after: Held | None, now: datetime) -> None:
    if after is None or after == before:
        return
    values = {"window_start": after.window[0], "window_end": after.window[1],
              "updates": after.updates, "away_sent": after.away_sent,
              "near_sent": after.near_sent, "deadline_warned": after.deadline_warned,
              "changed_at": now}
    if before is None:
        s.execute(held_windows.insert().values(
            delivery_id=delivery.id, route_id=route_id, market_id=delivery.market_id,
            service_date=delivery.service_date, first_start=after.window[0],
            first_end=after.window[1], sent_at=now, **values))
    else:
        s.execute(held_windows.update().where(held_windows.c.delivery_id == delivery.id,
                                              held_windows.c.route_id == route_id)
                  .values(**values))


def arrived(s: Session, delivery_id: str, route_id: str, at: datetime) -> None:
    """Whether the window held was right is settled at the first arrival."""
    held = held_windows.c
    s.execute(held_windows.update()
              .where(held.delivery_id == delivery_id, held.route_id == route_id,
                     held.arrived_at.is_(None))
              .values(arrived_at=at, hit=sa.and_(held.window_start <= at, at <= held.window_end)))


# -- who hears ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class DeliveryRow:
    """The fields of another delivery of the route that the notices read (not locked)."""

    id: str
    shipper_id: str
    market_id: str
    recipient_id: str
    service_date: object
    status: str
    route_id: str | None
    time_sensitive: bool
    window_end: datetime | None
    address_line1: str
    address_city: str


def _sender(shipper: Shipper, channel: Channel) -> str | None:
    if channel is Channel.EMAIL:
        return shipper.email_from
    return shipper.messaging_service_sid or shipper.sms_from


def _opted_out(s: Session, recipient: Recipient, shipper: Shipper) -> frozenset[Channel]:
    out = set()
    for channel, raw in ((Channel.SMS, recipient.phone), (Channel.EMAIL, recipient.email)):
        if not raw:
            continue
        try:
            address = addresses.e164(raw) if channel is Channel.SMS else addresses.email(raw)
        except addresses.InvalidAddress:
            continue  # the sender suppresses it, and marks the recipient unreachable
        if consent.opted_out(s, channel, address, _sender(shipper, channel)):
            out.add(channel)
    return frozenset(out)


class Reads(Protocol):
    """What the notices read: an event's processing (Ctx), or the scheduled notices' scope."""

    session: Session
    now: datetime
    policies: Policies

    def get(self, cls: type[T], key: Any) -> T | None: ...


def addressee(ctx: Reads, delivery: Delivery | DeliveryRow) -> Addressee | None:
    """The recipient of `delivery` as the notices see them; people are read only when a
    notice is made."""
    shipper = ctx.get(Shipper, delivery.shipper_id)
    if shipper is None:
        return None
    policy = ctx.policies.notify_policy(shipper.id)
    s = ctx.session

    def load() -> People:
        recipient = s.get(Recipient, delivery.recipient_id)
        market = ctx.get(Market, delivery.market_id)
        assert recipient is not None and market is not None  # foreign keys
        return People(recipient, market, reach(recipient, policy, _opted_out(s, recipient, shipper)),
                      _link(ctx, delivery.id, policy))

    return Addressee(delivery, shipper, policy, load)


def _link(ctx: Reads, delivery_id: str, policy: NotifyPolicy) -> Callable[[], str | None]:
    base = ctx.policies.tracking_base
    made: list[str] = []

    def link() -> str | None:
        if base is None:
            return None
        if not made:
            token = tracking.issue(ctx.session, delivery_id, ctx.now,
                                   ttl=timedelta(days=policy.tracking_days))
            made.append(f"{base.rstrip('/')}/t/{token}")
        return made[0]

    return link


def others_on(s: Session, ids: list[str]) -> dict[str, DeliveryRow]:
    t = deliveries
    cols = [t.c[name] for name in DeliveryRow.__dataclass_fields__]
    found: dict[str, DeliveryRow] = {}
    for start in range(0, len(ids), 500):
        for r in s.execute(sa.select(*cols).where(t.c.id.in_(ids[start:start + 500]))):
            found[r.id] = DeliveryRow(**r._mapping)
    return found
