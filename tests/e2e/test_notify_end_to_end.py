"""Every notify notice end to end: an Onfleet driver's day told to doorstep through Onfleet's
signed webhooks, doorstep served over HTTP with a real Huey consumer (not immediate mode)
sending live to the fake Twilio, and each message's status back through Twilio's signed status
callback. The clock is virtual (shared by doorstep and the fake Onfleet), so the evening
before, the route and the reminder a quarter of an hour after delivery happen on cue."""

# ruff: noqa: F811 (the fixtures are imported from onfleet_support)
from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa

from doorstep.clock import VirtualClock
from doorstep.config import PlatformsConfig
from doorstep.connectors import jobs as platform_jobs
from doorstep.connectors.onfleet.connector import OnfleetConnector
from doorstep.domain import Channel, MessageStatus
from doorstep.jobs.embedded import EmbeddedConsumer
from doorstep.messaging import consent
from doorstep.notify import schedule
from doorstep.runtime import Runtime
from doorstep.sim.fakes.onfleet import FakeOnfleet
from doorstep.sim.fakes.serving import Served
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.sim.fakes.twilio_records import FakeMessage
from doorstep.store.tables import held_windows, messages
from doorstep.web.app import create_app
from doorstep.workflows import notify_words as words
from tests.conftest import make_settings
from tests.integration.connectors.onfleet_support import (  # noqa: F401 - fixtures
    DAY,
    Org,
    add_task,
    delivery,
    event_rows,
    fake,
    org,
    route,
    writes,
)
from tests.integration.http.processes import free_port
from tests.integration.messaging.test_alerts import Receiver, receiver  # noqa: F401 - fixture

NY = ZoneInfo("America/New_York")
EVENING = datetime(2026, 11, 23, 17, 50, tzinfo=NY)  # the day before DAY
THREADLINE = "+13125550111"  # the shippers' numbers in doorstep.toml
FRESHCART = "+12125550110"
POD_BOUND = 10.0  # seconds from taskCompleted posted to the SMS at the provider: a promise
WAIT = 20.0


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(EVENING)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio(seed=5) as t:
        yield t


@dataclass
class Doorstep:
    """doorstep as one served process: the web app over HTTP and a Huey consumer in threads,
    sharing one runtime, as `doorstep serve` runs them."""

    rt: Runtime
    url: str
    consumer: EmbeddedConsumer


@pytest.fixture
def served(tmp_path: Path, sqlite_template: Path, clock: VirtualClock, fake: FakeOnfleet,
           org: Org, twilio: FakeTwilio, receiver: Receiver) -> Iterator[Doorstep]:
    db = tmp_path / "doorstep.db"
    shutil.copy(sqlite_template, db)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = make_settings(
        tmp_path, f"sqlite:///{db}", port=port, public_url=url,
        onfleet_api_key=fake.api_key, onfleet_base_url=fake.base_url,
        onfleet_webhook_secret=fake.webhook_secret, messaging="live",
        twilio_account_sid=twilio.account_sid, twilio_auth_token=twilio.auth_token,
        twilio_base_url=twilio.url, twilio_timeout_seconds=5,
        alert_urls=f"json://127.0.0.1:{receiver.server_port}/alerts",  # dispatch's alerts
        # Budgets that never hold a message back: the paused clock would never release it.
        sms_rate_per_sender=100_000, sms_rate_per_service=100_000)
    settings.operator.platforms = PlatformsConfig(onfleet=org.mapping)
    rt = Runtime.build(settings, clock=clock)  # a real queue: not immediate mode
    rt.sync_operator()
    rt._connectors = {"onfleet": OnfleetConnector(rt, org.mapping, sleep=lambda s: None,
                                                  retries=3)}
    web = Served("doorstep", port=port)
    assert web.start(create_app(rt)) == url
    # The consumer `doorstep serve` embeds, without its minute timers: the test runs the
    # minute's jobs itself, on the virtual clock (a timer would fire at real minutes, and the
    # platform poller holds a worker for 50 s).
    consumer = EmbeddedConsumer(rt.huey, workers=2, worker_type="thread", periodic=False,
                                initial_delay=0.05, max_delay=1.0, shutdown_timeout=30)
    consumer.start()
    twilio.inbound_url = f"{url}/webhooks/twilio/sms"
    rt.connectors()["onfleet"].register_webhooks(url)  # as the operator does
    try:
        yield Doorstep(rt, url, consumer)
    finally:
        consumer.stop(graceful=True)
        web.stop()
        rt.close_connectors()
        rt.db.dispose()


# --- reading what happened ----------------------------------------------------------------------


def wait_for(what: Callable[[], Any], timeout: float = WAIT, describe: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = what()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout}s: {describe}")
        time.sleep(0.02)


def outbound(rt: Runtime, purpose: str | None = None) -> list[dict[str, Any]]:
    stmt = sa.select(messages).where(messages.c.direction == "outbound")
    if purpose is not None:
        stmt = stmt.where(messages.c.purpose == purpose)
    with rt.db.reading() as s:
        return [dict(r._mapping) for r in s.execute(stmt.order_by(messages.c.id))]


def texts(twilio: FakeTwilio, to: str) -> list[FakeMessage]:
    return [m for m in twilio.messages if m.direction == "outbound-api" and m.to == to]


def at_provider(twilio: FakeTwilio, to: str, words: str) -> FakeMessage | None:
    found = [m for m in texts(twilio, to) if words in m.body]
    return found[-1] if found else None


def wait_text(twilio: FakeTwilio, to: str, words: str, ds: Doorstep) -> FakeMessage:
    def describe() -> str:
        mine = [(m.to, m.body) for m in twilio.messages]
        rows = [(m["purpose"], m["to_addr"], m["status"]) for m in outbound(ds.rt)]
        return f"{words!r} to {to}; the provider has {mine}; doorstep has {rows}"
    try:
        found: FakeMessage = wait_for(lambda: at_provider(twilio, to, words))
        return found
    except AssertionError:
        raise AssertionError(describe()) from None


def status_of(rt: Runtime, sid: str) -> MessageStatus | None:
    with rt.db.reading() as s:
        return s.scalar(sa.select(messages.c.status).where(messages.c.provider_id == sid))


def receipts_back(twilio: FakeTwilio, ds: Doorstep, sent: list[FakeMessage]) -> None:
    """The provider moves every message on to delivered and posts its signed callbacks."""
    twilio.deliver_all()
    for m in sent:
        assert status_of(ds.rt, m.sid) is MessageStatus.DELIVERED, (m.to, m.body)


def held_words(rt: Runtime, delivery_id: str) -> str:
    """The window the recipient holds now, as their message words it."""
    with rt.db.reading() as s:
        w = s.execute(sa.select(held_windows).where(
            held_windows.c.delivery_id == delivery_id)).one()
    return words.window(w.window_start, w.window_end, "America/New_York", "en")


def link_in(body: str) -> str:
    found = [w.rstrip(".") for w in body.split() if "/t/" in w]
    assert found, body
    return found[0]


def opens(link: str, ds: Doorstep) -> None:
    assert urlparse(link).netloc == urlparse(ds.url).netloc, link
    page = httpx.get(link, timeout=10, trust_env=False)
    assert page.status_code == 200, (link, page.status_code)


def deliver_hooks(fake: FakeOnfleet) -> float:
    """Onfleet posts what it has queued; the moment it started posting (monotonic)."""
    started = time.monotonic()
    assert all(d.ok for d in fake.deliver())
    return started


# --- the day ------------------------------------------------------------------------------------


@dataclass
class Day:
    tasks: list[str]
    phones: list[str]
    ids: list[str]


PLANNED = [datetime(2026, 11, 24, 9, 0, tzinfo=NY) + timedelta(minutes=20 * i)
           for i in range(5)]
# Which shipper each stop is for: threadline (apparel) or freshcart (groceries: time-sensitive).
SHIPPERS = ["threadline", "freshcart", "threadline", "threadline", "freshcart"]
DEADLINE = datetime(2026, 11, 24, 10, 30, tzinfo=NY)  # stop 4's promised window ends


def plan_the_day(fake: FakeOnfleet, org: Org, ds: Doorstep) -> Day:
    """Five tasks made in Onfleet the evening before for the next morning, each with Onfleet's
    estimated arrival, assigned to the driver: doorstep hears of them by webhook."""
    tasks: list[str] = []
    for n, (planned, shipper) in enumerate(zip(PLANNED, SHIPPERS, strict=True)):
        extra: dict[str, Any] = {}
        if shipper == "threadline":
            extra["metadata"] = []  # the mapping's default shipper
        if n == 4:
            extra["completeBefore"] = ms(DEADLINE)
        task = add_task(fake, org.queens, n + 3, **extra)  # phones +1212555014{3..7}
        # Onfleet's route engine's estimate, which the fake never makes: without it doorstep
        # has no planned arrival, so no window and no on-its-way / stops-away notice at all.
        fake.org.tasks[task]["estimatedArrivalTime"] = ms(planned)
        tasks.append(task)
    for task in tasks:
        fake.assign(task, org.driver)
    deliver_hooks(fake)
    ids = [f"onfleet-{t}" for t in tasks]
    route_id = f"{org.driver}:{DAY}"
    wait_for(lambda: (r := route(ds.rt, route_id)) is not None and r.stop_count == 5,
             describe="the driver's day planned in doorstep")
    wait_for(lambda: all(delivery(ds.rt, d) is not None and delivery(ds.rt, d).status
                         == "scheduled" for d in ids), describe="every delivery scheduled")
    return Day(tasks, [f"+1212555014{n + 3}" for n in range(5)], ids)


def test_the_evening_before_notice_leaves_at_six_through_the_provider(
        served: Doorstep, fake: FakeOnfleet, org: Org, twilio: FakeTwilio,
        clock: VirtualClock) -> None:
    day = plan_the_day(fake, org, served)
    assert schedule.queue_due(served.rt.db, served.rt.policies, clock.now()) == 0  # 17:50
    clock.set(datetime(2026, 11, 23, 18, 0, tzinfo=NY))
    # The minute's job (doorstep.notify_due) against the served process's database, then the
    # minute's drain (doorstep.send_messages) through its consumer.
    assert schedule.queue_due(served.rt.db, served.rt.policies, clock.now()) == 5
    served.rt.tasks.send_messages()
    sent = [wait_text(twilio, phone, "arrives tomorrow", served) for phone in day.phones]
    for m, shipper, did in zip(sent, SHIPPERS, day.ids, strict=True):
        assert m.from_ == (THREADLINE if shipper == "threadline" else FRESHCART)
        assert "Reply with a gate code" in m.body and "Reply STOP to opt out." in m.body
        assert held_words(served.rt, did) in m.body  # the window it now holds, in words
        opens(link_in(m.body), served)
    receipts_back(twilio, served, sent)
    assert len(outbound(served.rt, "notify.evening_before")) == 5


def at(hour: int, minute: int) -> datetime:
    return datetime(2026, 11, 24, hour, minute, tzinfo=NY)


def test_a_drivers_day_on_onfleet_sends_every_notice_through_the_provider(
        served: Doorstep, fake: FakeOnfleet, org: Org, twilio: FakeTwilio,
        clock: VirtualClock, receiver: Receiver) -> None:
    rt = served.rt
    day = plan_the_day(fake, org, served)
    t, phone = day.tasks, day.phones
    sent: list[FakeMessage] = []

    # Onfleet would text these recipients too: doorstep switches that off, once each.
    silenced = [w for w in writes(rt) if w.kind == "silence_recipient"]
    assert sorted(w.subject_id for w in silenced) == sorted(day.ids)
    platform_jobs.drain_writes(rt)  # the minute's doorstep.write_platforms
    for task in t:
        [recipient] = fake.task(task)["recipients"]
        assert recipient["skipSMSNotifications"] is True

    # The recipient of stop 2 texts STOP to threadline's number: doorstep hears it.
    stop = twilio.send_inbound(phone[2], THREADLINE, "STOP")
    assert stop.status_code == 200

    # 08:55 the driver goes on duty and starts the first task: the route has started.
    clock.set(at(8, 55))
    fake.set_duty(org.driver, True, location=[-73.99, 40.68])
    fake.start_task(t[0])
    deliver_hooks(fake)
    for i in (0, 1, 3, 4):
        m = wait_text(twilio, phone[i], "is on its way and should arrive", served)
        assert m.from_ == (FRESHCART if SHIPPERS[i] == "freshcart" else THREADLINE)
        assert held_words(rt, day.ids[i]) in m.body
        opens(link_in(m.body), served)
        sent.append(m)

    # 09:00 the driver arrives at stop 0: stop 3 is three stops away, stop 1 (groceries) one.
    clock.set(at(9, 0))
    fake.report(t[0], distance=20)
    deliver_hooks(fake)
    away = wait_text(twilio, phone[3], "your driver is 3 stops away", served)
    assert held_words(rt, day.ids[3]) in away.body  # the narrowed window
    opens(link_in(away.body), served)
    near = wait_text(twilio, phone[1], "1 stop away with an order that cannot wait", served)
    opens(link_in(near.body), served)
    sent += [away, near]

    # 09:02 proof of delivery at stop 0: the confirmation is at the provider within seconds.
    clock.set(at(9, 2))
    fake.complete_task(t[0], notes="Porch", signature="A. Lima")
    posted = deliver_hooks(fake)
    done = wait_text(twilio, phone[0], "has arrived", served)
    seconds = time.monotonic() - posted
    print(f"\nPOD confirmation at the fake Twilio {seconds:.2f} s after taskCompleted")
    assert seconds < POD_BOUND
    assert "received by A. Lima" in done.body and "Proof of delivery: " in done.body
    opens(link_in(done.body), served)
    sent.append(done)

    # 10:20 the driver reaches stop 1 an hour late; the attempt fails.
    clock.set(at(10, 20))
    fake.start_task(t[1])
    fake.report(t[1], distance=20)
    deliver_hooks(fake)
    late = wait_text(twilio, phone[3], "sorry, we are running late", served)
    assert held_words(rt, day.ids[3]) in late.body and late.body.count("/t/") == 1
    risk = wait_text(twilio, phone[4], "may reach you after 10:30 AM", served)
    assert held_words(rt, day.ids[4]) in risk.body
    sent += [late, risk]
    clock.set(at(10, 25))
    fake.fail_task(t[1], reason="NOBODY_HOME", notes="Card left")
    deliver_hooks(fake)
    failed = wait_text(twilio, phone[1], "we could not deliver your order, which cannot wait",
                       served)
    sent.append(failed)
    alerts = wait_for(lambda: len(a := outbound(rt, "notify.time_sensitive_alert")) >= 2 and a,
                      describe="dispatch alerted of the deadline and of the failed attempt")
    assert {a["context"]["what"] for a in alerts} == {"deadline", "failed"}
    assert all(a["channel"] is Channel.ALERT and a["to_addr"] == "dispatch-nyc@brightline.example"
               for a in alerts)
    said = wait_for(lambda: len(receiver.got) >= 2 and [a["message"] for a in receiver.got],
                    describe="both alerts at dispatch's Apprise endpoint")
    assert any(f"Time-sensitive delivery {day.ids[4]} on route" in a
               and "after its deadline 10:30 AM" in a for a in said), said
    assert any(f"Time-sensitive delivery {day.ids[1]} on route" in a
               and "the attempt failed (not_home)" in a for a in said), said
    [reach_out] = outbound(rt, "recover.reach_out")
    assert reach_out["template"] == "time_sensitive_failed" and reach_out["to_addr"] == phone[1]

    # Stop 2 (who texted STOP) is served: nothing reaches them.
    clock.set(at(10, 40))
    fake.start_task(t[2])
    fake.complete_task(t[2])
    # Stop 3: arrival (stop 4, groceries, is one stop away), delivered.
    clock.set(at(11, 0))
    fake.start_task(t[3])
    fake.report(t[3], distance=20)
    deliver_hooks(fake)
    sent.append(wait_text(twilio, phone[4], "1 stop away with an order", served))
    clock.set(at(11, 3))
    fake.complete_task(t[3])
    deliver_hooks(fake)
    sent.append(wait_text(twilio, phone[3], "has arrived", served))

    # Stop 4 (groceries) delivered: the confirmation at once, the reminder 15 minutes on.
    clock.set(at(11, 20))
    fake.start_task(t[4])
    fake.complete_task(t[4])
    deliver_hooks(fake)
    sent.append(wait_text(twilio, phone[4], "has arrived", served))
    [reminder] = wait_for(lambda: outbound(rt, "notify.time_sensitive_reminder"),
                          describe="the reminder queued")
    assert reminder["status"] is MessageStatus.QUEUED
    assert reminder["send_after"] == at(11, 35).astimezone(UTC)
    assert at_provider(twilio, phone[4], "put it away") is None
    clock.set(at(11, 35))
    rt.tasks.send_messages()  # the minute's drain
    sent.append(wait_text(twilio, phone[4], "Please put it away now", served))

    assert texts(twilio, phone[2]) == []  # opted out: not one notice
    with rt.db.reading() as s:
        assert consent.opted_out(s, Channel.SMS, phone[2], THREADLINE)
    assert [m for m in outbound(rt) if m["to_addr"] == phone[2]] == []
    assert delivery(rt, day.ids[2]).status == "delivered"
    receipts_back(twilio, served, sent)
    notices = {m["purpose"] for m in outbound(rt) if m["channel"] is Channel.SMS}
    assert notices == {"notify.route_started", "notify.stops_away", "notify.running_late",
                       "notify.delivered", "notify.time_sensitive_near", "notify.deadline_risk",
                       "recover.reach_out", "notify.time_sensitive_reminder"}
    assert {e.status for e in event_rows(rt)} <= {"processed", "ignored"}
