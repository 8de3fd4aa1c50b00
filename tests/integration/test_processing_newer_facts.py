"""A newer fact is never overwritten by an older one, and the moves a real day makes are kept:
a delivery moved between routes, a driver who comes back, a corrected order."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from doorstep.domain import (
    Delivery,
    DeliveryStatus,
    Driver,
    Gap,
    Route,
    RouteException,
    Stop,
    StopStatus,
)
from doorstep.domain import EventType as T
from doorstep.events.format import make_event
from doorstep.events.outbox import gap_id
from doorstep.store.tables import messages
from tests import factories as ev


def feed(runtime, *events):
    return [runtime.intake.accept("platform", [e]) for e in events]


def minutes(clock, n):
    return [clock.now() + timedelta(minutes=i) for i in range(n)]


def purposes(runtime, prefix: str = "") -> list[str]:
    """The purposes of the messages queued, those starting with `prefix` only."""
    with runtime.db.reading() as s:
        return sorted(p for p in s.scalars(sa.select(messages.c.purpose))
                      if p.startswith(prefix))


def test_a_delivery_moved_to_another_route_before_either_starts_goes_with_the_new(runtime, clock):
    m = minutes(clock, 6)
    feed(runtime, ev.delivery_created("c", m[0]), ev.route_planned("p1", m[1], "R1"),
         ev.route_planned("p2", m[2], "R2"), ev.route_started("s2", m[3], "R2"),
         ev.delivered("d", m[4]))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert (d.status, d.route_id) == (DeliveryStatus.DELIVERED, "R2")
        assert s.get(Stop, ("R1", "D1")).status is StopStatus.REMOVED
        assert s.get(Stop, ("R2", "D1")).status is StopStatus.DONE
        assert s.get(Route, "R2").stops_done == 1


def test_an_older_route_plan_does_not_replace_the_newer(runtime, clock):
    m = minutes(clock, 5)
    feed(runtime, ev.delivery_created("c1", m[0], "D1"),
         ev.delivery_created("c2", m[0], "D2", phone="+12125552001", line1="2 Main St"),
         ev.delivery_created("c3", m[0], "D3", phone="+12125552002", line1="3 Main St"),
         ev.route_planned("v2", m[3], "R1", ("D1", "D2")),
         ev.route_planned("v1", m[2], "R1", ("D1", "D2", "D3")))
    with runtime.db.reading() as s:
        assert s.get(Route, "R1").stop_count == 2
        assert s.get(Delivery, "D3").route_id is None
    assert ev.event_statuses(runtime.db)["v1"][0] == "ignored"


def test_a_driver_who_comes_back_and_delivers_after_a_failure_is_delivered(runtime, clock):
    m = minutes(clock, 8)
    feed(runtime, *ev.lifecycle(m[0])[:3], ev.failed("f", m[4]), ev.delivered("d", m[6]))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert (d.status, d.attempt_count) == (DeliveryStatus.DELIVERED, 2)
        assert [a.outcome.value for a in d.attempts] == ["failed", "delivered"]


def test_a_second_failure_without_a_new_plan_is_a_second_attempt(runtime, clock):
    m = minutes(clock, 8)
    feed(runtime, *ev.lifecycle(m[0])[:3], ev.failed("f1", m[4]),
         ev.failed("f2", m[6], reason="access"))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert (d.status, d.attempt_count) == (DeliveryStatus.FAILED, 2)
    assert purposes(runtime, "recover.") == ["recover.reach_out", "recover.reach_out"]


def test_a_failure_reported_after_the_delivery_sends_no_message(runtime, clock):
    m = minutes(clock, 10)
    feed(runtime, ev.delivery_created("c", m[0]), ev.route_planned("p1", m[1], "R1"),
         ev.route_started("s1", m[2], "R1"), ev.route_planned("p2", m[5], "R2"),
         ev.route_started("s2", m[6], "R2"), ev.delivered("d", m[7]),
         ev.failed("late", m[3]))  # the first attempt's failure, reported last
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert d.status is DeliveryStatus.DELIVERED
        assert sorted(a.outcome.value for a in d.attempts) == ["delivered", "failed"]
    # Nobody asks a recipient who has the parcel, nor alerts dispatch of a failure since made
    # good: they heard the route start (each route it went out on) and the delivery.
    assert purposes(runtime) == ["notify.delivered", "notify.route_started",
                                 "notify.route_started", "notify.time_sensitive_reminder"]


def test_older_etas_arrivals_and_details_do_not_overwrite_newer(runtime, clock):
    m = minutes(clock, 10)
    t0 = m[0]
    feed(runtime, *ev.lifecycle(t0)[:3],
         ev.eta_updated("eta-new", m[5], t0 + timedelta(hours=4)),
         ev.eta_updated("eta-old", m[4], t0 + timedelta(hours=2)),
         ev.delivery_created("fix", m[6], line1="1 Main St Apt 4"),
         ev.delivery_created("stale", m[5], line1="1 Mian St"))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert d.eta == t0 + timedelta(hours=4)
        assert d.address_line1 == "1 Main St Apt 4"
    statuses = ev.event_statuses(runtime.db)
    assert statuses["eta-old"][0] == statuses["stale"][0] == "ignored"


def test_an_older_driver_upsert_does_not_reactivate_a_driver(runtime, clock):
    m = minutes(clock, 3)
    newer = make_event("new", T.DRIVER_UPSERTED, m[2], {
        "driver_id": "DR1", "name": "Pat Driver", "depot": "nyc-bk", "active": False})
    feed(runtime, newer, ev.driver_upserted("old", m[1]))
    with runtime.db.reading() as s:
        assert s.get(Driver, "DR1").active is False


def test_a_corrected_phone_moves_the_delivery_to_the_new_recipient(runtime, clock):
    m = minutes(clock, 8)
    feed(runtime, *ev.lifecycle(m[0])[:3],
         ev.delivery_created("fix", m[3], phone="+12125559999"), ev.failed("f", m[5]))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        to = s.scalars(sa.select(messages.c.to_addr)  # "on its way" went to the old phone
                       .where(messages.c.purpose == "recover.reach_out")).all()
    assert to == ["+12125559999"]
    assert d.recipient_id.startswith("rcp_")


def test_the_whole_address_is_kept(runtime, clock):
    event = ev.delivery_created("c", clock.now())
    event["data"]["address"].update(line2="Apt 4B", region="NY", country="US")
    feed(runtime, event)
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert (d.address_line2, d.address_region, d.address_country) == ("Apt 4B", "NY", "US")


def test_an_exception_naming_an_unknown_driver_waits_for_the_driver(runtime, clock):
    m = minutes(clock, 3)
    feed(runtime, ev.exception_reported("x", m[0], depot="nyc-bk", driver_id="DR9"))
    assert ev.event_statuses(runtime.db)["x"][0] == "deferred"
    feed(runtime, ev.driver_upserted("dr", m[1], "DR9"))
    with runtime.db.reading() as s:
        assert s.get(RouteException, "X1").driver_id == "DR9"


def test_a_callout_on_a_shift_with_a_long_id_opens_its_gap(runtime, clock):
    m = minutes(clock, 3)
    long_id = "S" * 128
    feed(runtime, ev.shift_planned("p", m[0], long_id), ev.shift_callout("c", m[1], long_id))
    with runtime.db.reading() as s:
        assert s.get(Gap, gap_id(long_id)).shift_id == long_id
    assert purposes(runtime) == ["crew.callout"]


def test_the_failed_attempt_message_waits_for_the_recipients_daytime(runtime, clock):
    from zoneinfo import ZoneInfo

    night = clock.now().astimezone(ZoneInfo("America/New_York")).replace(hour=22, minute=30)
    feed(runtime, *ev.lifecycle(night - timedelta(minutes=10))[:3], ev.failed("f", night))
    with runtime.db.reading() as s:
        send_after = s.scalar(sa.select(messages.c.send_after)
                              .where(messages.c.purpose == "recover.reach_out"))
    morning = (night + timedelta(days=1)).replace(hour=8, minute=0)
    assert send_after == morning
