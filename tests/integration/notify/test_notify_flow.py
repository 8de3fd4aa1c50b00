"""The notify workflow through the real intake, jobs and handlers: what each recipient is told
as a route goes, and the window each one holds."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import sqlalchemy as sa

from doorstep.domain import Channel
from doorstep.messaging import consent
from doorstep.store import tracking
from doorstep.store.tables import held_windows, messages
from doorstep.workflows.notify_policy import Notice, NotifyPolicy
from tests import factories as ev

IDS = tuple(f"D{i}" for i in range(1, 7))


def feed(runtime, *events):
    for e in events:
        runtime.intake.accept("platform", [e])


def sent(runtime, purpose: str | None = None) -> list[dict]:
    stmt = sa.select(messages).where(messages.c.direction == "outbound")
    if purpose:
        stmt = stmt.where(messages.c.purpose == purpose)
    with runtime.db.reading() as s:
        return [dict(r._mapping) for r in s.execute(stmt.order_by(messages.c.subject_id))]


def held(runtime) -> dict[str, dict]:
    with runtime.db.reading() as s:
        return {r.delivery_id: dict(r._mapping) for r in s.execute(sa.select(held_windows))}


def a_route(runtime, t0, shipper: str = "threadline", ids=IDS, **extra):
    """Six deliveries planned at t0 onto R1, 10 minutes apart from t0 + 2 h; the route starts
    when its first stop was planned (a usual start)."""
    feed(runtime, *[ev.delivery_created(f"c-{d}", t0, d, shipper=shipper,
                                        phone=f"+1212555{2000 + i:04d}", **extra)
                    for i, d in enumerate(ids)],
         ev.route_planned("plan", t0, "R1", ids))
    feed(runtime, ev.route_started("start", t0 + timedelta(hours=2), "R1"))


def serve(runtime, t0, late: timedelta, ids=IDS, upto: int | None = None):
    """Arrive and deliver the stops in order, each `late` after its planned time."""
    for i, d in enumerate(ids[:upto]):
        at = t0 + timedelta(hours=2, minutes=10 * i) + late
        feed(runtime, ev.arrived(f"a-{d}", at, d), ev.delivered(f"d-{d}", at + timedelta(minutes=2), d))


def test_the_route_start_sends_each_recipient_a_window_and_a_link_to_their_own_page(runtime,
                                                                                     clock):
    t0 = clock.now()
    a_route(runtime, t0)
    notes = sent(runtime, "notify.route_started")
    assert [m["subject_id"] for m in notes] == list(IDS)
    windows = held(runtime)
    with runtime.db.reading() as s:
        for m in notes:
            assert m["template"] == "on_the_way" and m["channel"] is Channel.SMS
            token = m["context"]["tracking_url"].rsplit("/t/", 1)[1]
            assert tracking.resolve(s, token, clock.now()) == m["subject_id"]
            w = windows[m["subject_id"]]
            assert (w["first_start"], w["first_end"]) == (w["window_start"], w["window_end"])
            assert w["window_end"] - w["window_start"] <= timedelta(hours=2)
            assert m["context"]["window"]  # words, in the market's time
    # Later stops are further off: their first windows are no narrower.
    widths = [windows[d]["window_end"] - windows[d]["window_start"] for d in IDS]
    assert widths[-1] >= widths[0]


def test_the_driver_three_stops_away_narrows_the_window_once(runtime, clock):
    t0 = clock.now()
    a_route(runtime, t0)
    first = held(runtime)
    serve(runtime, t0, timedelta(0))
    away = sent(runtime, "notify.stops_away")
    # After the first arrival D2, D3 and D4 are 1, 2 and 3 stops away; then D5, then D6.
    assert [(m["subject_id"], m["context"]["stops"]) for m in away] == [
        ("D2", 1), ("D3", 2), ("D4", 3), ("D5", 3), ("D6", 3)]
    now = held(runtime)
    for d in ("D2", "D3", "D4", "D5", "D6"):
        assert now[d]["away_sent"]
        narrowed = now[d]["window_end"] - now[d]["window_start"]
        assert narrowed <= first[d]["window_end"] - first[d]["window_start"]
    assert not sent(runtime, "notify.running_late")  # on time: no update


def test_a_route_running_late_sends_each_recipient_one_update_at_most(runtime, clock):
    t0 = clock.now()
    a_route(runtime, t0)
    serve(runtime, t0, timedelta(minutes=75), upto=3)
    late = sent(runtime, "notify.running_late")
    assert late, "75 minutes late leaves every window held"
    per_delivery = {m["subject_id"] for m in late}
    assert len(per_delivery) == len(late)  # one each, however late the later stops are
    windows = held(runtime)
    for m in late:
        w = windows[m["subject_id"]]
        assert w["updates"] == 1 and w["window_start"] > w["first_start"]


def test_each_arrival_settles_whether_the_window_held(runtime, clock):
    t0 = clock.now()
    a_route(runtime, t0)
    serve(runtime, t0, timedelta(0), upto=1)
    serve(runtime, t0, timedelta(hours=4), ids=IDS[1:], upto=1)  # D2, far outside
    windows = held(runtime)
    assert windows["D1"]["hit"] is True and windows["D2"]["hit"] is False
    assert windows["D3"]["hit"] is None and windows["D3"]["arrived_at"] is None


def test_proof_of_delivery_is_confirmed_at_once_with_the_link(runtime, clock):
    t0 = clock.now()
    a_route(runtime, t0, ids=("D1",))
    serve(runtime, t0, timedelta(0), ids=("D1",))
    [done] = sent(runtime, "notify.delivered")
    assert done["template"] == "delivered" and done["send_after"] is None
    assert done["context"]["received_by"] == "front desk" and done["context"]["photo"] is True
    assert "/t/" in done["context"]["tracking_url"]
    assert not sent(runtime, "notify.time_sensitive_reminder")  # threadline is apparel


def test_a_time_sensitive_delivery_gets_the_near_notice_and_the_reminder(runtime, clock):
    t0 = clock.now()
    a_route(runtime, t0, shipper="freshcart")  # a grocer: time-sensitive
    serve(runtime, t0, timedelta(0))
    near = sent(runtime, "notify.time_sensitive_near")
    # One stop away, once each: D2 after the first arrival, and so on.
    assert [m["subject_id"] for m in near] == ["D2", "D3", "D4", "D5", "D6"]
    reminders = sent(runtime, "notify.time_sensitive_reminder")
    assert len(reminders) == len(IDS)
    delivered_at = t0 + timedelta(hours=2, minutes=2)
    assert reminders[0]["send_after"] == delivered_at + timedelta(minutes=15)


def test_a_window_that_will_miss_the_deadline_alerts_dispatch_and_asks_the_recipient(runtime,
                                                                                     clock):
    t0 = clock.now()
    deadline = t0 + timedelta(hours=3)  # D6 is planned at t0 + 2:50
    a_route(runtime, t0, shipper="threadline", ids=("D1", "D2", "D3", "D4", "D5", "D6"),
            time_sensitive=True, window_start=t0.isoformat(), window_end=deadline.isoformat())
    serve(runtime, t0, timedelta(minutes=60), upto=1)
    alerts = sent(runtime, "notify.time_sensitive_alert")
    asked = sent(runtime, "notify.deadline_risk")
    assert {m["subject_id"] for m in alerts} == {m["subject_id"] for m in asked}
    assert "D6" in {m["subject_id"] for m in asked}
    assert all(m["channel"] is Channel.ALERT and m["context"]["what"] == "deadline"
               for m in alerts)
    serve(runtime, t0, timedelta(minutes=80), ids=IDS[1:], upto=1)
    assert len(sent(runtime, "notify.time_sensitive_alert")) == len(alerts)  # once each


def test_a_failed_time_sensitive_attempt_alerts_dispatch_and_asks_in_urgent_words(runtime,
                                                                                  clock):
    t0 = clock.now()
    a_route(runtime, t0, shipper="freshcart", ids=("D1",))
    feed(runtime, ev.failed("f", t0 + timedelta(hours=2, minutes=3), "D1"))
    [alert] = sent(runtime, "notify.time_sensitive_alert")
    assert alert["context"]["what"] == "failed" and alert["context"]["reason"] == "not_home"
    [reach_out] = sent(runtime, "recover.reach_out")
    assert reach_out["template"] == "time_sensitive_failed"


def test_a_recipient_who_opted_out_of_texts_hears_by_email(runtime, clock):
    t0 = clock.now()
    with runtime.db.transaction() as s:
        consent.record(s, consent.ConsentChange(Channel.SMS, "+12125552000", consent.EVERY_SENDER,
                                                True, t0, "keyword"))
    feed(runtime, ev.delivery_created("c", t0, "D1", shipper="threadline",
                                      email="robin@example.com"))
    feed(runtime, ev.route_planned("p", t0, "R1", ("D1",)),
         ev.route_started("s", t0 + timedelta(hours=2), "R1"))
    [note] = sent(runtime, "notify.route_started")
    assert (note["channel"], note["to_addr"]) == (Channel.EMAIL, "robin@example.com")


def test_a_shipper_that_wants_no_notices_gets_none_sent(runtime, clock):
    quiet = NotifyPolicy(notices=[])
    runtime.policies = dataclasses.replace(runtime.policies, notify={"threadline": quiet})
    t0 = clock.now()
    a_route(runtime, t0)
    serve(runtime, t0, timedelta(minutes=90))
    assert [m for m in sent(runtime) if m["purpose"].startswith("notify.")] == []
    assert held(runtime) == {}


def test_a_spanish_speaker_is_told_in_spanish_where_the_shipper_writes_it(runtime, clock):
    t0 = clock.now()
    feed(runtime, ev.delivery_created("c1", t0, "D1", shipper="homenest", language="es"),
         ev.delivery_created("c2", t0, "D2", shipper="threadline", language="es",
                             phone="+12125552001"))
    feed(runtime, ev.route_planned("p", t0, "R1", ("D1", "D2")),
         ev.route_started("s", t0 + timedelta(hours=2), "R1"))
    notes = {m["subject_id"]: m for m in sent(runtime, "notify.route_started")}
    assert notes["D1"]["language"] == "es" and notes["D1"]["context"]["window"].startswith("de ")
    assert notes["D2"]["language"] == "en"  # threadline writes in English only


def test_a_platform_eta_far_past_the_window_sends_the_update(runtime, clock):
    t0 = clock.now()
    a_route(runtime, t0)
    feed(runtime, ev.eta_updated("eta", t0 + timedelta(hours=2, minutes=1),
                                 t0 + timedelta(hours=4), "D6"))
    [late] = sent(runtime, "notify.running_late")
    assert late["subject_id"] == "D6"
    assert held(runtime)["D6"]["window_end"] >= t0 + timedelta(hours=4)


def test_the_policy_can_leave_out_the_route_start_notice(runtime, clock):
    runtime.policies = dataclasses.replace(runtime.policies, notify={
        "threadline": NotifyPolicy(notices=[Notice.STOPS_AWAY, Notice.DELIVERED])})
    t0 = clock.now()
    a_route(runtime, t0)
    assert sent(runtime, "notify.route_started") == [] and held(runtime) == {}
    serve(runtime, t0, timedelta(0), upto=1)
    assert [m["subject_id"] for m in sent(runtime, "notify.stops_away")] == ["D2", "D3", "D4"]
    # The first window each holds is the narrowed one.
    assert set(held(runtime)) == {"D2", "D3", "D4"}


def test_a_route_with_no_planned_times_still_says_on_its_way_and_stops_away(runtime, clock):
    """Some platforms (Onfleet without route optimisation) give no times: no window is
    promised, but the recipient still hears the parcel is coming, and when it is near."""
    t0 = clock.now()
    feed(runtime, *[ev.delivery_created(f"c-{d}", t0, d, shipper="freshcart",
                                        phone=f"+1212555{2000 + i:04d}")
                    for i, d in enumerate(IDS)])
    plan = ev.route_planned("plan", t0, "R1", IDS)
    for stop in plan["data"]["stops"]:
        del stop["planned_arrival"]
    feed(runtime, plan, ev.route_started("start", t0 + timedelta(hours=2), "R1"))
    started = sent(runtime, "notify.route_started")
    assert len(started) == len(IDS) and all(m["context"]["window"] is None for m in started)
    assert "/t/" in started[0]["context"]["tracking_url"]
    feed(runtime, ev.arrived("a1", t0 + timedelta(hours=2, minutes=5), "D1"))
    assert [(m["subject_id"], m["context"]["stops"]) for m in sent(
        runtime, "notify.stops_away")] == [("D2", 1), ("D3", 2), ("D4", 3)]
    assert [m["subject_id"] for m in sent(runtime, "notify.time_sensitive_near")] == ["D2"]
    assert held(runtime) == {}  # no window was promised
