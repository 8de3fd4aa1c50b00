"""Events that cannot be applied yet (deferred), ever (flagged), or that break (failed)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from doorstep.domain import Delivery, DeliveryStatus, Driver, Event, EventStatus, Route, Shift
from doorstep.events.processing import process_batch
from doorstep.store.tables import events, messages
from tests import factories as ev


def feed(runtime, *events_, source: str = "platform"):
    return [runtime.intake.accept(source, [e]) for e in events_]


def load(runtime, event_id: int) -> Event:
    with runtime.db.reading() as s:
        return s.get(Event, event_id)


# --- deferred until the thing they refer to arrives ---------------------------------------------

def test_facts_about_an_unknown_delivery_wait_for_it(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.eta_updated("eta", t0 + timedelta(minutes=1), t0 + timedelta(hours=3)))
    status, note = ev.event_statuses(runtime.db)["eta"]
    assert status == "deferred" and "delivery:D1" in note
    with runtime.db.reading() as s:
        assert s.scalar(sa.select(events.c.waits_for)
                        .where(events.c.external_id == "eta")) == "delivery:D1"
        assert s.get(Delivery, "D1") is None
    feed(runtime, ev.delivery_created("c", t0))
    assert ev.event_statuses(runtime.db)["eta"] == ("processed", None)
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1").eta == t0 + timedelta(hours=3)
        assert s.scalar(sa.select(events.c.waits_for)
                        .where(events.c.external_id == "eta")) is None


def test_a_chain_of_waits_unwinds(runtime, clock):
    """started waits for the route, the route plan waits for the delivery."""
    t0 = clock.now()
    feed(runtime, ev.route_started("s", t0 + timedelta(minutes=2)),
         ev.route_planned("p", t0 + timedelta(minutes=1)))
    statuses = ev.event_statuses(runtime.db)
    assert statuses["s"][0] == statuses["p"][0] == "deferred"
    assert "route:R1" in statuses["s"][1] and "delivery:D1" in statuses["p"][1]
    feed(runtime, ev.delivery_created("c", t0))
    assert {st for st, _ in ev.event_statuses(runtime.db).values()} == {"processed"}
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1").status is DeliveryStatus.OUT_FOR_DELIVERY
        assert s.get(Route, "R1").status.value == "in_progress"


def test_a_shift_waits_for_its_driver(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.shift_planned("sp", t0, driver_id="DR1"))
    assert ev.event_statuses(runtime.db)["sp"][0] == "deferred"
    feed(runtime, ev.driver_upserted("dr", t0))
    assert ev.event_statuses(runtime.db)["sp"][0] == "processed"
    with runtime.db.reading() as s:
        assert s.get(Shift, "S1").driver_id == "DR1"


# --- flagged: well-formed but pointing at what the operator does not have ----------------------

def test_an_unknown_depot_is_flagged(runtime, clock):
    t0 = clock.now()
    results = feed(runtime, ev.delivery_created("c", t0, depot="atlantis"),
                   ev.driver_upserted("dr", t0, depot="atlantis"),
                   ev.route_planned("p", t0, "R9", (), depot="atlantis"))
    statuses = ev.event_statuses(runtime.db)
    for ext in ("c", "dr", "p"):
        status, note = statuses[ext]
        assert status == "flagged" and "atlantis" in note, ext
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1") is None and s.get(Driver, "DR1") is None
        assert s.get(Route, "R9") is None
        flagged = s.get(Event, results[0].stored[0])
        assert (flagged.processed_at, flagged.waits_for) == (clock.now(), None)


def test_an_unknown_shipper_is_flagged(runtime, clock):
    feed(runtime, ev.delivery_created("c", clock.now(), shipper="acme"))
    status, note = ev.event_statuses(runtime.db)["c"]
    assert status == "flagged" and "acme" in note
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1") is None


def test_an_exception_in_an_unknown_market_is_flagged(runtime, clock):
    feed(runtime, ev.exception_reported("x", clock.now(), "X1", market="mars"))
    status, note = ev.event_statuses(runtime.db)["x"]
    assert status == "flagged" and "mars" in note


def test_a_flagged_event_is_settled_and_not_retried(runtime, clock):
    [result] = feed(runtime, ev.delivery_created("c", clock.now(), shipper="acme"))
    [event_id] = result.stored
    woken = process_batch(runtime.db, clock, runtime.policies, [event_id])
    assert woken == []
    event = load(runtime, event_id)
    assert (event.status, event.tries) == (EventStatus.FLAGGED, 1)


# --- a handler that raises ----------------------------------------------------------------------

def corrupt(runtime, event_id: int, payload: dict) -> None:
    with runtime.db.transaction() as s:
        s.execute(sa.update(events).where(events.c.id == event_id).values(payload=payload))


def test_a_raising_event_fails_alone_and_the_rest_of_the_batch_is_applied(runtime, clock):
    t0 = clock.now()
    ids = ev.store_only(runtime, [
        ev.delivery_created("c1", t0, "D1"),
        ev.delivery_created("c2", t0, "D2", phone="+12125552002", line1="2 Main St"),
        ev.exception_reported("x", t0, "X1", severity="critical"),
        ev.delivery_created("c3", t0, "D3", phone="+12125552003", line1="3 Main St"),
    ])
    corrupt(runtime, ids[1], {"delivery_id": "D2", "shipper": "freshcart"})  # fails validation
    process_batch(runtime.db, clock, runtime.policies, ids)
    statuses = ev.event_statuses(runtime.db)
    assert {k: v[0] for k, v in statuses.items()} == {
        "c1": "processed", "c2": "failed", "x": "processed", "c3": "processed"}
    assert "ValidationError" in statuses["c2"][1]
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1") is not None and s.get(Delivery, "D3") is not None
        assert s.get(Delivery, "D2") is None
        alerts = s.scalars(sa.select(messages.c.purpose)).all()
    assert alerts == ["exceptions.alert"]  # applied once, though the batch ran twice
    failed = load(runtime, ids[1])
    assert failed.tries == 1 and failed.processed_at is None


def test_a_failed_event_is_retried_and_applied_once_repaired(runtime, clock):
    t0 = clock.now()
    [good_payload_id] = ev.store_only(runtime, [ev.delivery_created("c", t0)])
    original = load(runtime, good_payload_id).payload
    corrupt(runtime, good_payload_id, {"nonsense": True})
    process_batch(runtime.db, clock, runtime.policies, [good_payload_id])
    assert load(runtime, good_payload_id).status is EventStatus.FAILED
    process_batch(runtime.db, clock, runtime.policies, [good_payload_id])
    assert load(runtime, good_payload_id).tries == 2
    corrupt(runtime, good_payload_id, original)
    process_batch(runtime.db, clock, runtime.policies, [good_payload_id])
    event = load(runtime, good_payload_id)
    assert (event.status, event.tries, event.note) == (EventStatus.PROCESSED, 3, None)


def test_settled_events_are_skipped(runtime, clock):
    [result] = feed(runtime, ev.exception_reported("x", clock.now(), "X1"))
    [event_id] = result.stored
    before = load(runtime, event_id)
    clock.advance(timedelta(minutes=5))
    assert process_batch(runtime.db, clock, runtime.policies, [event_id, event_id]) == []
    after = load(runtime, event_id)
    assert before.tries == 1
    assert (after.status, after.tries, after.processed_at) == (
        EventStatus.PROCESSED, 1, before.processed_at)
    with runtime.db.reading() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(messages)) == 1


def test_unknown_ids_are_skipped(runtime, clock):
    assert process_batch(runtime.db, clock, runtime.policies, [12345]) == []


def test_process_batch_returns_the_waiters_it_woke(runtime, clock):
    t0 = clock.now()
    [waiting] = ev.store_only(runtime, [ev.arrived("a", t0 + timedelta(minutes=1))])
    process_batch(runtime.db, clock, runtime.policies, [waiting])
    assert load(runtime, waiting).status is EventStatus.DEFERRED
    [creator] = ev.store_only(runtime, [ev.delivery_created("c", t0)])
    assert process_batch(runtime.db, clock, runtime.policies, [creator]) == [waiting]
    assert load(runtime, waiting).status is EventStatus.DEFERRED  # woken, not yet run
