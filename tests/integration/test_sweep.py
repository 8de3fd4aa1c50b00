"""The sweep: stored work whose job was lost is found and done; settled work is left alone."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from doorstep.domain import Delivery, DeliveryStatus, Event, EventStatus
from doorstep.jobs.tasks import sweep_lost_work
from doorstep.store.tables import events, messages
from tests import factories as ev


def snapshot_events(runtime) -> dict[str, tuple]:
    with runtime.db.reading() as s:
        return {r.external_id: (str(r.status), r.tries, r.processed_at)
                for r in s.execute(sa.select(events))}


def past_the_interval(runtime) -> None:
    runtime.clock.advance(timedelta(seconds=runtime.settings.sweep_interval_seconds + 1))


def test_the_sweep_processes_events_whose_job_was_lost(runtime, clock):
    t0 = clock.now()
    ids = ev.store_only(runtime, ev.lifecycle(t0)[:3] + [
        ev.failed("f", t0 + timedelta(minutes=5))])
    assert {s for s, *_ in snapshot_events(runtime).values()} == {"stored"}
    past_the_interval(runtime)
    assert sweep_lost_work(runtime) == len(ids)
    assert {s for s, *_ in snapshot_events(runtime).values()} == {"processed"}
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1").status is DeliveryStatus.FAILED
        assert sorted(s.scalars(sa.select(messages.c.purpose))) == [
            "notify.time_sensitive_alert", "recover.reach_out"]


def test_the_sweep_waits_for_the_interval(runtime, clock):
    ev.store_only(runtime, [ev.delivery_created("c", clock.now())])
    clock.advance(timedelta(seconds=runtime.settings.sweep_interval_seconds - 1))
    assert sweep_lost_work(runtime) == 0  # its job may still be on its way
    assert snapshot_events(runtime)["c"][0] == "stored"
    clock.advance(timedelta(seconds=2))
    assert sweep_lost_work(runtime) == 1
    assert snapshot_events(runtime)["c"][0] == "processed"


def test_the_sweep_leaves_settled_events_alone(runtime, clock):
    t0 = clock.now()
    for e in (ev.delivery_created("c", t0), ev.delivery_created("bad", t0, shipper="acme"),
              ev.exception_reported("x", t0, "X1"), dict(ev.exception_reported("x", t0, "X1"),
                                                         id="x-again")):
        runtime.intake.accept("platform", [e])
    settled = snapshot_events(runtime)
    assert {k: v[0] for k, v in settled.items()} == {
        "c": "processed", "bad": "flagged", "x": "processed", "x-again": "ignored"}
    [lost] = ev.store_only(runtime, [ev.arrived("a", t0 + timedelta(minutes=1))])
    past_the_interval(runtime)
    assert sweep_lost_work(runtime) == 1
    after = snapshot_events(runtime)
    assert {k: after[k] for k in settled} == settled  # tries and processed_at untouched
    assert after["a"][:2] == ("processed", 1)
    assert sweep_lost_work(runtime) == 0  # nothing left to do
    with runtime.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(messages)) == 1
        assert s.get(Event, lost).status is EventStatus.PROCESSED


def test_the_sweep_retries_deferred_and_failed_events(runtime, clock):
    t0 = clock.now()
    [broken] = ev.store_only(runtime, [ev.delivery_created("c", t0)])
    good_payload = snapshot_payload(runtime, broken)
    with runtime.db.transaction() as s:
        s.execute(sa.update(events).where(events.c.id == broken).values(payload={"x": 1}))
    [waiter] = ev.store_only(runtime, [ev.arrived("a", t0 + timedelta(minutes=1))])
    past_the_interval(runtime)
    assert sweep_lost_work(runtime) == 2
    assert {k: v[0] for k, v in snapshot_events(runtime).items()} == {
        "c": "failed", "a": "deferred"}
    with runtime.db.transaction() as s:  # a person repairs the event
        s.execute(sa.update(events).where(events.c.id == broken).values(payload=good_payload))
    assert sweep_lost_work(runtime) == 0  # neither is due again yet: they back off
    clock.advance(timedelta(minutes=2))
    assert sweep_lost_work(runtime) == 2
    assert {k: v[0] for k, v in snapshot_events(runtime).items()} == {
        "c": "processed", "a": "processed"}
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1").arrived_at == t0 + timedelta(minutes=1)
        assert s.get(Event, waiter).tries >= 2


def test_an_event_that_keeps_failing_is_given_up_after_ten_tries(runtime, clock):
    [broken] = ev.store_only(runtime, [ev.delivery_created("c", clock.now())])
    with runtime.db.transaction() as s:
        s.execute(sa.update(events).where(events.c.id == broken).values(payload={"x": 1}))
    past_the_interval(runtime)
    swept = []
    for _ in range(12):
        swept.append(sweep_lost_work(runtime))
        clock.advance(timedelta(days=1))  # past the longest backoff
    assert swept == [1] * 10 + [0, 0]
    status, tries, _ = snapshot_events(runtime)["c"]
    assert (status, tries) == ("failed", 10)


def snapshot_payload(runtime, event_id: int) -> dict:
    with runtime.db.reading() as s:
        return s.get(Event, event_id).payload
