"""The notices that go at the shipper's hour: the evening before and the morning of."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from doorstep.domain import Channel, Delivery
from doorstep.jobs.tasks import send_what_is_due
from doorstep.messaging import inbound
from doorstep.notify import schedule
from doorstep.store.tables import held_windows, messages
from doorstep.workflows.notify_policy import Notice, NotifyPolicy
from tests import factories as ev

NY = ZoneInfo("America/New_York")
TOMORROW = date(2026, 11, 25)  # the clock starts on 2026-11-24 at 06:00 in New York


def feed(runtime, *events):
    for e in events:
        runtime.intake.accept("platform", [e])


def pre_delivery(runtime) -> list[dict]:
    with runtime.db.reading() as s:
        return [dict(r._mapping) for r in s.execute(
            sa.select(messages).where(messages.c.template == "pre_delivery")
            .order_by(messages.c.subject_id))]


def tomorrows_route(runtime, clock):
    """Three of threadline's deliveries planned today onto tomorrow's route; one more with no
    route yet, whose shipper promised a window; one already cancelled."""
    t0 = clock.now()
    first = datetime(2026, 11, 25, 9, 0, tzinfo=NY)
    day = {"service_date": TOMORROW.isoformat()}
    ids = ("D1", "D2", "D3")
    feed(runtime, *[ev.delivery_created(f"c-{d}", t0, d, shipper="threadline",
                                        phone=f"+1212555{2000 + i:04d}", **day)
                    for i, d in enumerate(ids)],
         ev.delivery_created("c-D4", t0, "D4", shipper="threadline", phone="+12125552010",
                             window_start=datetime(2026, 11, 25, 13, 0, tzinfo=NY).isoformat(),
                             window_end=datetime(2026, 11, 25, 17, 0, tzinfo=NY).isoformat(),
                             **day),
         ev.delivery_created("c-D5", t0, "D5", shipper="threadline", phone="+12125552011",
                             **day),
         ev.cancelled("x-D5", t0 + timedelta(minutes=1), "D5"))
    stops = [{"delivery_id": d, "sequence": i + 1,
              "planned_arrival": (first + timedelta(minutes=20 * i)).isoformat()}
             for i, d in enumerate(ids)]
    plan = ev.make_event("plan", ev.T.ROUTE_PLANNED, t0 + timedelta(minutes=2), {
        "route_id": "R-tomorrow", "depot": ev.DEPOT, "service_date": TOMORROW.isoformat(),
        "planned_start": (first - timedelta(minutes=30)).isoformat(), "stops": stops})
    feed(runtime, plan)


def test_the_evening_notice_goes_once_at_the_shippers_hour_with_the_planned_window(runtime,
                                                                                    clock):
    tomorrows_route(runtime, clock)
    clock.set(datetime(2026, 11, 24, 17, 59, tzinfo=NY))
    assert schedule.queue_due(runtime.db, runtime.policies, clock.now()) == 0
    clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=NY))
    assert schedule.queue_due(runtime.db, runtime.policies, clock.now()) == 4
    notes = pre_delivery(runtime)
    assert [m["subject_id"] for m in notes] == ["D1", "D2", "D3", "D4"]  # not the cancelled
    assert all(m["context"]["when"] == "tomorrow" and m["channel"] is Channel.SMS
               for m in notes)
    # Planned 9:00 → a window about 9:00; D4's is the shipper's own promise.
    assert notes[0]["context"]["window"].endswith("AM")
    assert notes[3]["context"]["window"] == "1:00–5:00 PM"
    assert all(m["expires_at"] == datetime(2026, 11, 25, 0, 0, tzinfo=NY) for m in notes)
    with runtime.db.reading() as s:
        held = {r.delivery_id: r for r in s.execute(sa.select(held_windows))}
    assert set(held) == {"D1", "D2", "D3"}  # the routed ones hold their window from now
    assert held["D1"].window_start <= datetime(2026, 11, 25, 9, 0, tzinfo=NY) \
        <= held["D1"].window_end
    clock.advance(timedelta(minutes=30))
    assert schedule.queue_due(runtime.db, runtime.policies, clock.now()) == 0  # once only
    assert len(pre_delivery(runtime)) == 4


def test_the_morning_notice_goes_on_the_day_before_noon_only(runtime, clock):
    morning = NotifyPolicy(notices=[Notice.MORNING_OF], morning_at=datetime(1, 1, 1, 7).time())
    runtime.policies = dataclasses.replace(runtime.policies, notify={"threadline": morning})
    tomorrows_route(runtime, clock)
    clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=NY))
    assert schedule.queue_due(runtime.db, runtime.policies, clock.now()) == 0  # no evening
    clock.set(datetime(2026, 11, 25, 7, 0, tzinfo=NY))
    assert schedule.queue_due(runtime.db, runtime.policies, clock.now()) == 4
    assert {m["context"]["when"] for m in pre_delivery(runtime)} == {"today"}


def test_a_morning_notice_not_sent_by_noon_is_not_sent(runtime, clock):
    morning = NotifyPolicy(notices=[Notice.MORNING_OF])
    runtime.policies = dataclasses.replace(runtime.policies, notify={"threadline": morning})
    tomorrows_route(runtime, clock)
    clock.set(datetime(2026, 11, 25, 12, 5, tzinfo=NY))
    assert schedule.queue_due(runtime.db, runtime.policies, clock.now()) == 0


def test_a_gate_code_in_reply_to_the_evening_notice_is_kept_on_the_delivery(runtime, clock):
    tomorrows_route(runtime, clock)
    clock.set(datetime(2026, 11, 24, 18, 0, tzinfo=NY))
    schedule.queue_due(runtime.db, runtime.policies, clock.now())
    assert send_what_is_due(runtime) == 4
    clock.advance(timedelta(minutes=5))
    incoming = inbound.Incoming(provider_id="SM" + "1" * 32, from_="+12125552000",
                                to="+13125550111", service=None,
                                body="gate code 4521, leave it by the side door")
    with runtime.db.transaction() as s:
        handled = inbound.receive(s, incoming, clock.now(), runtime.policies.contact)
    assert handled.intent == "instructions" and handled.events
    runtime.tasks.enqueue_events(handled.events)
    with runtime.db.reading() as s:
        assert "gate code 4521" in (s.get(Delivery, "D1").instructions or "")
