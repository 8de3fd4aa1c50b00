"""The notices that go at an hour rather than on an event: the evening before and the morning
of a delivery, at the times of the shipper's policy in the market's time zone.

A job looks every minute; a delivery's notice is marked once (`notice_marks`) in the
transaction that queues it, so each goes once whatever the number of workers. The window is
the one the route's plan gives now (the model's, before any lateness), and it becomes the
window the recipient holds until the route starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Delivery, DeliveryStatus, Market, Route, Shipper
from doorstep.events.outbox import queue_message
from doorstep.events.preload import Preloaded
from doorstep.events.processing import Policies
from doorstep.notify import live
from doorstep.store.db import Database
from doorstep.store.sql import insert_for, inserted
from doorstep.store.tables import deliveries, markets, notice_marks, shippers
from doorstep.windows.model import START
from doorstep.workflows import notify
from doorstep.workflows.actions import QueueMessage
from doorstep.workflows.notify_policy import Notice, NotifyPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")
BATCH = 200
MORNING_UNTIL = time(12, 0)  # a morning notice not sent by noon is not sent
WAITING = (DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED)


@dataclass(frozen=True)
class Due:
    notice: Notice
    market_id: str
    timezone: str
    service_date: date
    shippers: tuple[str, ...]


def due(market_rows: list[tuple[str, str]], policies: Policies, shippers: list[str],
        now: datetime) -> Iterator[Due]:
    """Which (notice, market, day, shippers) are due now, in each market's local time."""
    for market_id, tz in market_rows:
        local = now.astimezone(ZoneInfo(tz))
        for notice, at, day in ((Notice.EVENING_BEFORE, "evening_at", 1),
                                (Notice.MORNING_OF, "morning_at", 0)):
            wanting = tuple(s for s in shippers if _due(policies.notify_policy(s), notice,
                                                        getattr(policies.notify_policy(s), at),
                                                        local.time()))
            if wanting:
                yield Due(notice, market_id, tz, local.date() + timedelta(days=day), wanting)


def _due(policy: NotifyPolicy, notice: Notice, at: time, now: time) -> bool:
    if not policy.wants(notice) or now < at:
        return False
    return notice is Notice.EVENING_BEFORE or now < MORNING_UNTIL


def _waiting(s: Session, d: Due) -> list[str]:
    mark = f"{d.notice.value}:{d.service_date.isoformat()}"
    marked = sa.select(notice_marks.c.delivery_id).where(
        notice_marks.c.delivery_id == deliveries.c.id, notice_marks.c.mark == mark)
    return list(s.scalars(sa.select(deliveries.c.id).where(
        deliveries.c.market_id == d.market_id, deliveries.c.service_date == d.service_date,
        deliveries.c.shipper_id.in_(d.shippers), deliveries.c.status.in_(WAITING),
        ~sa.exists(marked)).order_by(deliveries.c.id).limit(BATCH)))


def _planned_window(ctx: live.Reads, delivery: Delivery) -> tuple[str, notify.Live] | None:
    """The window the plan gives, as the model would send it at the route's start."""
    route = ctx.get(Route, delivery.route_id) if delivery.route_id else None
    if route is None or delivery.planned_arrival is None:
        return None
    todo = live.pending(ctx.session, route.id)
    late = 0.0  # nothing is known yet of how the day will go
    estimates = live.estimates(ctx.policies.window_model(), route.depot_id, START, late,
                               ctx.now, todo)
    found = estimates.get(delivery.id)
    return (route.id, found) if found is not None else None


def _local_midnight(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def queue_due(db: Database, policies: Policies, now: datetime) -> int:
    """Queue the evening and morning notices due now; the number of deliveries marked."""
    with db.reading() as s:
        market_rows = [(r.id, r.timezone) for r in s.execute(sa.select(markets.c.id,
                                                                       markets.c.timezone))]
        shipper_ids = list(s.scalars(sa.select(shippers.c.id)))
    marked = 0
    for d in due(market_rows, policies, shipper_ids, now):
        while True:
            done = _queue_batch(db, policies, d, now)
            marked += done
            if done < BATCH:
                break
    return marked


@dataclass
class _Scope:
    """What the notices read, outside an event's processing."""

    session: Session
    now: datetime
    policies: Policies
    pre: Preloaded

    def get(self, cls: type[T], key: Any) -> T | None:
        return self.pre.get(cls, key)


def _queue_batch(db: Database, policies: Policies, d: Due, now: datetime) -> int:
    mark = f"{d.notice.value}:{d.service_date.isoformat()}"
    when = "tomorrow" if d.notice is Notice.EVENING_BEFORE else "today"
    # Too late to matter once the day has begun (evening) or ended (morning).
    expires = _local_midnight(d.service_date + timedelta(days=0 if when == "tomorrow" else 1),
                              d.timezone)
    with db.transaction() as s:
        ids = _waiting(s, d)
        pre = Preloaded(s, db.dialect != "sqlite")
        pre.load_everything(Market)
        pre.load_everything(Shipper)
        scope = _Scope(s, now, policies, pre)
        for delivery in pre.load(Delivery, ids):
            if not inserted(s, insert_for(s)(notice_marks).values(
                    delivery_id=delivery.id, mark=mark, at=now)
                    .on_conflict_do_nothing(), notice_marks.c.delivery_id):
                continue  # another worker's
            a = live.addressee(scope, delivery)
            if a is None:
                continue
            planned = _planned_window(scope, delivery)
            window = None
            if planned is not None:
                window = notify.clipped(planned[1].window, planned[1].point, a.policy)
            elif delivery.window_start and delivery.window_end:
                window = (delivery.window_start, delivery.window_end)  # the shipper's promise
            actions = notify.pre_delivery(a, when, d.service_date, window, expires)
            if planned is not None and window is not None and actions:
                held = live.held_on(s, planned[0]).get(delivery.id)
                live.keep(s, delivery, planned[0], held,
                          replace(held, window=window) if held else notify.Held(window), now)
            for action in actions:
                if isinstance(action, QueueMessage):
                    queue_message(s, action, now)
        return len(ids)
