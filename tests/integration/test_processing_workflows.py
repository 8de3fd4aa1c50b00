"""Decisions through the handlers: the outbox rows and gaps they leave, once each."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from doorstep.domain import Delivery, Gap, GapStatus, Recipient, RouteException, Shift, ShiftStatus
from doorstep.store.tables import events, gaps, messages
from tests import factories as ev


def feed(runtime, *events_, source: str = "platform"):
    return [runtime.intake.accept(source, [e]) for e in events_]


def outbox(runtime, purpose: str | None = None, *, prefix: str | None = None) -> list[dict]:
    """The outbound messages: all, one purpose's, or those whose purpose starts with `prefix`."""
    stmt = sa.select(messages).where(messages.c.direction == "outbound")
    if purpose:
        stmt = stmt.where(messages.c.purpose == purpose)
    if prefix:
        stmt = stmt.where(messages.c.purpose.startswith(prefix))
    with runtime.db.reading() as s:
        return [dict(r._mapping) for r in s.execute(stmt)]


def event_id(runtime, external_id: str) -> int:
    with runtime.db.reading() as s:
        return s.scalar(sa.select(events.c.id).where(events.c.external_id == external_id))


def on_the_road(runtime, t0, delivery_id="D1", route_id="R1", **created):
    feed(runtime, ev.delivery_created(f"c-{delivery_id}", t0, delivery_id, **created),
         ev.route_planned(f"p-{delivery_id}", t0 + timedelta(minutes=1), route_id,
                          (delivery_id,)),
         ev.route_started(f"s-{delivery_id}", t0 + timedelta(minutes=2), route_id))


# --- recover ------------------------------------------------------------------------------------

def test_a_failed_attempt_queues_exactly_one_reach_out(runtime, clock):
    t0 = clock.now()
    on_the_road(runtime, t0)
    failed = ev.failed("f", t0 + timedelta(minutes=5), reason="not_home")
    feed(runtime, failed)
    feed(runtime, failed)  # the same event again
    feed(runtime, dict(failed, id="f-resent"), source="other")  # the same fact, another id
    [sms] = outbox(runtime, prefix="recover.")
    with runtime.db.reading() as s:
        recipient_id = s.get(Delivery, "D1").recipient_id
    assert (sms["purpose"], str(sms["channel"]), sms["to_addr"]) == (
        "recover.reach_out", "sms", ev.PHONE)
    assert (sms["recipient_id"], sms["shipper_id"], sms["market_id"]) == (
        recipient_id, "freshcart", "nyc")
    assert (sms["subject_type"], sms["subject_id"], str(sms["status"])) == (
        "delivery", "D1", "queued")
    assert sms["context"]["reason"] == "not_home" and sms["context"]["attempt"] == 1
    assert sms["context"]["audience"] == "recipient"
    assert sms["event_id"] == event_id(runtime, "f")
    assert sms["created_at"] == clock.now()


def test_no_reach_out_to_a_recipient_who_revoked_sms_consent(runtime, clock):
    t0 = clock.now()
    on_the_road(runtime, t0)
    with runtime.db.transaction() as s:
        recipient = s.get(Recipient, s.get(Delivery, "D1").recipient_id)
        recipient.opt_out_of_sms(t0)
    feed(runtime, ev.failed("f", t0 + timedelta(minutes=5)))
    # Only what was queued before the opt-out (on its way) and dispatch's alert: no reach-out.
    assert sorted(m["purpose"] for m in outbox(runtime)) == [
        "notify.route_started", "notify.time_sensitive_alert"]
    assert ev.event_statuses(runtime.db)["f"][0] == "processed"
    with runtime.db.reading() as s:
        assert s.get(Delivery, "D1").attempt_count == 1


def test_a_new_delivery_does_not_undo_an_opt_out(runtime, clock):
    t0 = clock.now()
    on_the_road(runtime, t0)
    with runtime.db.transaction() as s:
        s.get(Recipient, s.get(Delivery, "D1").recipient_id).opt_out_of_sms(t0)
    on_the_road(runtime, t0 + timedelta(hours=1), "D2", "R2", line1="9 Other St")
    feed(runtime, ev.failed("f2", t0 + timedelta(hours=2), "D2"))
    # D1's on its way went before the opt-out; D2's recipient hears nothing, dispatch does.
    assert sorted((m["purpose"], m["subject_id"]) for m in outbox(runtime)) == [
        ("notify.route_started", "D1"), ("notify.time_sensitive_alert", "D2")]


def test_no_reach_out_without_a_phone(runtime, clock):
    t0 = clock.now()
    on_the_road(runtime, t0, phone=None)
    feed(runtime, ev.failed("f", t0 + timedelta(minutes=5)))
    # Nothing to the recipient (no phone); dispatch still hears of the time-sensitive failure.
    assert [m["purpose"] for m in outbox(runtime)] == ["notify.time_sensitive_alert"]


def test_chronic_address_escalates_once_at_the_threshold(runtime, clock):
    t0 = clock.now()
    threshold = runtime.policies.recover.chronic_failures
    assert threshold == 3  # doorstep.toml
    for n in range(threshold + 2):
        at = t0 + timedelta(hours=n)
        on_the_road(runtime, at, f"D{n}", f"R{n}", phone=f"+1212555300{n}",
                    line1="13 Gate Rd" if n % 2 else "13 GATE RD")
        feed(runtime, ev.failed(f"f{n}", at + timedelta(minutes=5), f"D{n}", reason="access"))
        chronic = outbox(runtime, "recover.chronic_address")
        assert len(chronic) == (1 if n + 1 >= threshold else 0), n
    [alert] = chronic
    assert alert["subject_id"] == f"D{threshold - 1}"
    assert alert["context"]["failures"] == threshold
    assert str(alert["channel"]) == "alert" and alert["context"]["audience"] == "operations"
    assert len(outbox(runtime, "recover.reach_out")) == threshold + 2


def test_failures_for_other_reasons_do_not_make_an_address_chronic(runtime, clock):
    t0 = clock.now()
    for n in range(4):
        at = t0 + timedelta(hours=n)
        on_the_road(runtime, at, f"D{n}", f"R{n}", phone=f"+1212555300{n}")
        feed(runtime, ev.failed(f"f{n}", at + timedelta(minutes=5), f"D{n}",
                                reason="not_home"))
    assert outbox(runtime, "recover.chronic_address") == []


# --- exceptions ---------------------------------------------------------------------------------

def test_a_critical_exception_queues_one_alert(runtime, clock):
    t0 = clock.now()
    report = ev.exception_reported("x", t0, "X1", severity="critical")
    feed(runtime, report)
    feed(runtime, dict(report, id="x-again"))
    [alert] = outbox(runtime)
    assert (alert["purpose"], str(alert["channel"]), alert["subject_id"]) == (
        "exceptions.alert", "alert", "X1")
    assert alert["to_addr"] == "dispatch-nyc@brightline.example"
    assert alert["context"]["severity"] == "critical"
    with runtime.db.reading() as s:
        exc = s.get(RouteException, "X1")
        assert (exc.market_id, exc.depot_id, exc.reported_at) == ("nyc", "nyc-bk", t0)
    assert ev.event_statuses(runtime.db)["x-again"][0] == "ignored"


def test_a_low_severity_exception_is_logged_without_an_alert(runtime, clock):
    feed(runtime, ev.exception_reported("x", clock.now(), "X1", severity="low"))
    assert outbox(runtime) == []
    with runtime.db.reading() as s:
        assert s.get(RouteException, "X1").severity.value == "low"


def test_an_exception_on_a_route_takes_its_depot_market_and_driver(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.driver_upserted("dr", t0), ev.delivery_created("c", t0),
         ev.route_planned("p", t0, driver_id="DR1"),
         ev.exception_reported("x", t0, "X1", severity="high", route_id="R1"))
    [alert] = outbox(runtime)
    assert alert["driver_id"] == "DR1" and alert["market_id"] == "nyc"
    with runtime.db.reading() as s:
        exc = s.get(RouteException, "X1")
        assert (exc.route_id, exc.depot_id, exc.driver_id) == ("R1", "nyc-bk", "DR1")


def test_an_exception_is_resolved_once(runtime, clock):
    t0 = clock.now()
    resolve = {"version": "1", "id": "r", "type": "exception.resolved",
               "occurred_at": (t0 + timedelta(hours=1)).isoformat(),
               "data": {"exception_id": "X1"}}
    feed(runtime, ev.exception_reported("x", t0, "X1"), resolve, dict(resolve, id="r2"))
    with runtime.db.reading() as s:
        exc = s.get(RouteException, "X1")
        assert exc.status.value == "resolved" and exc.resolved_at == t0 + timedelta(hours=1)
    assert ev.event_statuses(runtime.db)["r2"][0] == "ignored"


# --- crew ---------------------------------------------------------------------------------------

def test_a_callout_opens_a_gap_and_alerts_once(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.driver_upserted("dr", t0), ev.shift_planned("sp", t0, driver_id="DR1"),
         ev.shift_callout("co", t0 + timedelta(minutes=30)))
    feed(runtime, dict(ev.shift_callout("co", t0 + timedelta(minutes=30)), id="co-again"))
    with runtime.db.reading() as s:
        shift = s.get(Shift, "S1")
        assert (shift.status, shift.callout_reason) == (ShiftStatus.CALLOUT, "sick")
        [gap] = s.scalars(sa.select(Gap)).all()
        assert (gap.shift_id, gap.status) == ("S1", GapStatus.OPEN)
        assert s.scalar(sa.select(sa.func.count()).select_from(gaps)) == 1
    [alert] = outbox(runtime)
    assert (alert["purpose"], str(alert["channel"]), alert["subject_id"]) == (
        "crew.callout", "alert", "S1")
    assert alert["driver_id"] == "DR1"
    assert alert["context"]["driver"] == "Pat Driver"
    assert alert["context"]["hours_to_start"] == 2.5
    assert ev.event_statuses(runtime.db)["co-again"][0] == "ignored"


def test_a_confirmed_shift_can_still_call_out_but_not_the_reverse(runtime, clock):
    t0 = clock.now()
    confirm = {"version": "1", "id": "ok", "type": "shift.confirmed",
               "occurred_at": (t0 + timedelta(minutes=1)).isoformat(),
               "data": {"shift_id": "S1"}}
    feed(runtime, ev.shift_planned("sp", t0), confirm,
         ev.shift_callout("co", t0 + timedelta(minutes=2)),
         dict(confirm, id="ok-late", occurred_at=(t0 + timedelta(minutes=3)).isoformat()))
    with runtime.db.reading() as s:
        assert s.get(Shift, "S1").status is ShiftStatus.CALLOUT
    assert ev.event_statuses(runtime.db)["ok-late"][0] == "ignored"
    assert len(outbox(runtime, "crew.callout")) == 1
