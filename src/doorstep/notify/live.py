"""The notify workflow inside event processing: the live estimate of every stop still to come,
the windows recipients hold, and the people a notice goes to — read here, decided in
doorstep.workflows.notify, kept in the decision's transaction.

Other deliveries of the route are read without locks (the batch locks only what its events
name); only their held windows are written.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, Delivery, Market, Recipient, Route, Shipper, StopStatus
from doorstep.events.processing import Policies
from doorstep.messaging import addresses, consent
from doorstep.store import tracking
from doorstep.store.tables import deliveries, held_windows, stops
from doorstep.windows.model import START, State, WindowModel
from doorstep.windows.model import Stop as ModelStop
from doorstep.workflows.notify import Held, Live
from doorstep.workflows.notify_people import Addressee, People, reach
from doorstep.workflows.notify_policy import NotifyPolicy

T = TypeVar("T")


def _minutes(at: datetime) -> float:
    return at.timestamp() / 60


def _instant(minutes: float) -> datetime:
    return datetime.fromtimestamp(minutes * 60, tz=UTC)


@dataclass(frozen=True)
class DeliveryRow:
    """The fields of a delivery on the route that the notices read (not locked)."""

    id: str
    shipper_id: str
    market_id: str
    recipient_id: str
    service_date: date
    status: str
    route_id: str | None
    time_sensitive: bool
    window_end: datetime | None
    address_line1: str
    address_city: str


@dataclass(frozen=True)
class Planned:
    delivery: DeliveryRow
    sequence: int
    planned: datetime | None

    @property
    def delivery_id(self) -> str:
        return self.delivery.id


_ROW = [deliveries.c[name] for name in DeliveryRow.__dataclass_fields__]


def pending(s: Session, route_id: str, without: str | None = None) -> list[Planned]:
    """The route's stops still to be reached, in planned order, with their deliveries."""
    rows = s.execute(sa.select(stops.c.sequence, stops.c.planned_arrival, *_ROW)
                     .join(deliveries, deliveries.c.id == stops.c.delivery_id)
                     .where(stops.c.route_id == route_id, stops.c.status == StopStatus.PLANNED,
                            deliveries.c.arrived_at.is_(None))
                     # Stops without a planned time (a platform that gives none) come after
                     # the timed ones, in the route's order.
                     .order_by(stops.c.planned_arrival.is_(None), stops.c.planned_arrival,
                               stops.c.sequence))
    return [Planned(DeliveryRow(*r[2:]), r.sequence, r.planned_arrival) for r in rows
            if r.id != without]


def estimates(model: WindowModel, depot: str, phase: str, lateness: float, at: datetime,
              todo: list[Planned]) -> dict[str, Live | None]:
    """The model's live estimate of each stop to come, `lateness` minutes late (None for a
    stop with no planned time to estimate from: see workflows.notify.without_times)."""
    state = State(_minutes(at), phase, lateness, None, ())
    found: dict[str, Live | None] = {}
    for gap, p in enumerate(todo, start=1):
        if p.planned is None:
            found[p.delivery_id] = None
            continue
        stop = ModelStop(p.sequence, _minutes(p.planned), 0.0)
        lo, hi = model.window(stop, state, gap, depot)
        found[p.delivery_id] = Live(gap, _instant(model.point(stop, state, gap, depot)),
                                    (_instant(lo), _instant(hi)))
    return found


def at_start(s: Session, model: WindowModel, route: Route, started: datetime
             ) -> dict[str, Live | None]:
    """At the start, a route that left later than usual is expected that much later."""
    todo = pending(s, route.id)
    if not todo:
        return {}
    late = 0.0
    first = todo[0].planned
    if model.start_offset is not None and first is not None:
        late = (_minutes(started) - _minutes(first)) - model.start_offset
    return estimates(model, route.depot_id, START, late, started, todo)


# -- windows held ------------------------------------------------------------------------------

def held_on(s: Session, route_id: str) -> dict[str, Held]:
    """The windows held for the route's stops not yet reached."""
    h = held_windows.c
    rows = s.execute(sa.select(h.delivery_id, h.window_start, h.window_end, h.updates,
                               h.away_sent, h.near_sent, h.deadline_warned)
                     .where(h.route_id == route_id, h.arrived_at.is_(None)))
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

def _sender(shipper: Shipper, channel: Channel) -> str | None:
    if channel is Channel.EMAIL:
        return shipper.email_from
    return shipper.messaging_service_sid or shipper.sms_from


E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def _opted_out(s: Session, recipient: Recipient, shipper: Shipper) -> frozenset[Channel]:
    asked: dict[Channel, tuple[str, str | None]] = {}
    for channel, raw in ((Channel.SMS, recipient.phone), (Channel.EMAIL, recipient.email)):
        if not raw:
            continue
        try:
            address = (raw if E164.match(raw) else addresses.e164(raw)) \
                if channel is Channel.SMS else addresses.email(raw)
        except addresses.InvalidAddress:
            continue  # the sender suppresses it, and marks the recipient unreachable
        asked[channel] = (address, _sender(shipper, channel))
    return consent.opted_out_of(s, asked)


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
                      _link(ctx, delivery.id, delivery.service_date, policy))

    return Addressee(delivery, shipper, policy, load)


def _link(ctx: Reads, delivery_id: str, service_date: date, policy: NotifyPolicy
          ) -> Callable[[], str | None]:
    base = ctx.policies.tracking_base
    made: list[str] = []

    def link() -> str | None:
        if base is None:
            return None
        if not made:
            token = tracking.issue(ctx.session, delivery_id, ctx.now,
                                   ttl=timedelta(days=policy.tracking_days),
                                   service_date=service_date)
            made.append(f"{base.rstrip('/')}/t/{token}")
        return made[0]

    return link
