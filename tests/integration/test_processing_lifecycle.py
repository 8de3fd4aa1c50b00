"""A delivery's day through the real intake, jobs and handlers (Huey immediate mode)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from doorstep.domain import (
    AttemptOutcome,
    Delivery,
    DeliveryStatus,
    Route,
    RouteStatus,
    Stop,
    StopStatus,
)
from doorstep.store.tables import stops
from tests import factories as ev


def feed(runtime, *events, source: str = "platform"):
    """Deliver events one request at a time, as a platform would."""
    return [runtime.intake.accept(source, [e]) for e in events]


def test_a_full_delivery_lifecycle_ends_delivered(runtime, clock):
    t0 = clock.now()
    feed(runtime, *ev.lifecycle(t0))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert d.status is DeliveryStatus.DELIVERED
        assert d.status_at == d.delivered_at == t0 + timedelta(minutes=4)
        assert d.arrived_at == t0 + timedelta(minutes=3)
        assert (d.route_id, d.stop_sequence, d.market_id) == ("R1", 1, "nyc")
        assert d.attempt_count == 1
        [attempt] = d.attempts
        assert (attempt.number, attempt.outcome, attempt.route_id) == (
            1, AttemptOutcome.DELIVERED, "R1")
        assert (attempt.pod_photo_url, attempt.pod_received_by) == (
            "https://pod.example/p.jpg", "front desk")
        [stop] = s.scalars(sa.select(Stop).where(stops.c.route_id == "R1")).all()
        assert (stop.delivery_id, stop.sequence, stop.status) == ("D1", 1, StopStatus.DONE)
        assert stop.completed_at == t0 + timedelta(minutes=4)
        assert stop.arrived_at == t0 + timedelta(minutes=3)
        route = s.get(Route, "R1")
        assert route.status is RouteStatus.IN_PROGRESS
        assert (route.stop_count, route.stops_done, route.stops_failed, route.stops_left) == (
            1, 1, 0, 0)
        assert route.started_at == t0 + timedelta(minutes=2)
    assert {status for status, _ in ev.event_statuses(runtime.db).values()} == {"processed"}
    # The recipient hears of the window when the route starts and gets the confirmation on
    # POD, then (a grocer's order is time-sensitive) the reminder to put it away.
    sent = [(row[0], row[2]) for row in ev.outbox(runtime.db)]
    assert sorted(sent) == [
        ("notify.delivered", "notify.delivered:D1:pod:sms"),
        ("notify.route_started", "notify.route_started:D1:R1:sms"),
        ("notify.time_sensitive_reminder", "notify.time_sensitive_reminder:D1:after:sms")]


def test_each_step_moves_the_delivery_forward(runtime, clock):
    t0 = clock.now()
    steps = ev.lifecycle(t0)
    expected = [DeliveryStatus.PENDING, DeliveryStatus.SCHEDULED,
                DeliveryStatus.OUT_FOR_DELIVERY, DeliveryStatus.OUT_FOR_DELIVERY,
                DeliveryStatus.DELIVERED]
    for event, status in zip(steps, expected, strict=True):
        [result] = feed(runtime, event)
        assert len(result.stored) == 1 and result.duplicates == 0
        with runtime.db.reading() as s:
            assert s.get(Delivery, "D1").status is status, event["type"]


def test_route_completed_after_its_stops(runtime, clock):
    t0 = clock.now()
    feed(runtime, *ev.lifecycle(t0), ev.route_completed("done", t0 + timedelta(hours=1)))
    with runtime.db.reading() as s:
        route = s.get(Route, "R1")
        assert route.status is RouteStatus.COMPLETED
        assert route.completed_at == t0 + timedelta(hours=1)


def test_a_failed_attempt_then_redelivery_on_another_route(runtime, clock):
    t0 = clock.now()
    m = [t0 + timedelta(minutes=i) for i in range(10)]
    feed(runtime, ev.delivery_created("c", m[0]), ev.route_planned("p1", m[1], "R1"),
         ev.route_started("s1", m[2], "R1"), ev.failed("f", m[3], reason="not_home"),
         ev.route_planned("p2", m[4], "R2"), ev.route_started("s2", m[5], "R2"),
         ev.delivered("d", m[6]))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert (d.status, d.route_id, d.attempt_count) == (DeliveryStatus.DELIVERED, "R2", 2)
        assert [(a.number, a.outcome, a.route_id) for a in d.attempts] == [
            (1, AttemptOutcome.FAILED, "R1"), (2, AttemptOutcome.DELIVERED, "R2")]
        r1, r2 = s.get(Route, "R1"), s.get(Route, "R2")
        assert (r1.stops_done, r1.stops_failed) == (0, 1)
        assert (r2.stops_done, r2.stops_failed) == (1, 0)
        stop_status = dict(s.execute(sa.select(stops.c.route_id, stops.c.status)).all())
        assert stop_status == {"R1": "failed", "R2": "done"}


def test_cancelling_takes_the_stop_off_the_route(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.delivery_created("c", t0), ev.route_planned("p", t0 + timedelta(minutes=1)),
         ev.cancelled("x", t0 + timedelta(minutes=2)),
         ev.route_started("s", t0 + timedelta(minutes=3)),
         ev.delivered("d", t0 + timedelta(minutes=4)))
    with runtime.db.reading() as s:
        d = s.get(Delivery, "D1")
        assert d.status is DeliveryStatus.CANCELLED and d.attempt_count == 0
        assert s.scalars(sa.select(Stop)).one().status is StopStatus.REMOVED
        assert s.get(Route, "R1").stops_done == 0
    statuses = ev.event_statuses(runtime.db)
    assert statuses["d"][0] == "ignored"


def test_a_replanned_route_removes_dropped_stops(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.delivery_created("c1", t0, "D1"),
         ev.delivery_created("c2", t0, "D2", phone="+12125552001", line1="2 Main St"),
         ev.route_planned("p1", t0 + timedelta(minutes=1), "R1", ("D1", "D2")),
         ev.route_planned("p2", t0 + timedelta(minutes=2), "R1", ("D2",)))
    with runtime.db.reading() as s:
        by_delivery = {st.delivery_id: st for st in s.scalars(sa.select(Stop))}
        assert by_delivery["D1"].status is StopStatus.REMOVED
        assert (by_delivery["D2"].status, by_delivery["D2"].sequence) == (StopStatus.PLANNED, 1)
        assert s.get(Route, "R1").stop_count == 1
        assert s.get(Delivery, "D2").stop_sequence == 1


def test_a_delivery_dropped_from_a_route_does_not_go_out_with_it(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.delivery_created("c1", t0, "D1"),
         ev.delivery_created("c2", t0, "D2", phone="+12125552001", line1="2 Main St"),
         ev.route_planned("p1", t0 + timedelta(minutes=1), "R1", ("D1", "D2")),
         ev.route_planned("p2", t0 + timedelta(minutes=2), "R1", ("D2",)),
         ev.route_started("s", t0 + timedelta(minutes=3), "R1"))
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D2").status is DeliveryStatus.OUT_FOR_DELIVERY
        dropped = s.get(Delivery, "D1")
        assert dropped.status is DeliveryStatus.PENDING
        assert dropped.route_id is None


def test_eta_updates_count_again_when_a_failed_delivery_goes_out_again(runtime, clock):
    t0 = clock.now()
    m = [t0 + timedelta(minutes=i) for i in range(10)]
    feed(runtime, ev.delivery_created("c", m[0]), ev.route_planned("p1", m[1], "R1"),
         ev.route_started("s1", m[2], "R1"), ev.arrived("a1", m[3]),
         ev.failed("f", m[4]), ev.route_planned("p2", m[5], "R2"),
         ev.route_started("s2", m[6], "R2"),
         ev.eta_updated("eta", m[7], t0 + timedelta(hours=5)))
    assert ev.event_statuses(runtime.db)["eta"][0] == "processed"
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1").eta == t0 + timedelta(hours=5)
