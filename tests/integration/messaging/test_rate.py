"""Send budgets on real stores (SQLite, PostgreSQL, Redis), and the outbox drain that spends
them: a sender over its budget waits its turn, unclaimed, and the drain waits for it on the
runtime's clock instead of asking again and again."""

from __future__ import annotations

import os
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.clock import VirtualClock
from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.jobs.tasks import drain_outbox
from doorstep.messaging import due, sender
from doorstep.messaging.channels.base import Accepted, Outgoing
from doorstep.messaging.rate import DatabaseStore, Limiter, Rate, RedisStore, Store
from doorstep.runtime import Runtime
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.db import Database
from doorstep.store.tables import message_attempts, messages, send_rates
from doorstep.workflows.actions import Audience, QueueMessage
from tests.conftest import REDIS_URL, START, make_settings, need

FRESHCART = "+12125550110"  # freshcart's sms_from in doorstep.toml
THREADLINE = "+13125550111"
ONE_SEGMENT = "FreshCart Grocery: your parcel arrives today between 2 and 4 pm."
THREE_SEGMENTS = "📦 " + "x" * 150  # UCS-2: 153 units, 67 a part


@pytest.fixture(params=["database", pytest.param("redis", marks=pytest.mark.redis)])
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    if request.param == "database":
        yield DatabaseStore()
        return
    need(bool(REDIS_URL), "Redis (DOORSTEP_TEST_REDIS_URL)")
    import redis

    client = redis.Redis.from_url(REDIS_URL or "")
    prefix = f"doorstep:rate:test-{uuid.uuid4().hex[:8]}:"
    try:
        yield RedisStore(client, prefix)
    finally:
        for key in client.scan_iter(prefix + "*"):
            client.delete(key)
        client.close()


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    yield database
    database.dispose()


def take(db: Database, store: Store, cost: float, rate: Rate, at: float,
         key: str = "sms:+12125550110") -> float:
    with db.transaction() as s:
        return store.take(s, key, cost, rate, at)


T0 = START.timestamp()


def test_within_the_burst_sends_go_and_beyond_it_one_is_told_how_long_to_wait(
        db: Database, store: Store) -> None:
    rate = Rate(10.0, 5.0)
    assert [take(db, store, 1, rate, T0) for _ in range(5)] == [0.0] * 5
    assert take(db, store, 1, rate, T0) == pytest.approx(0.1, abs=1e-5)
    assert take(db, store, 2, rate, T0 + 0.05) == pytest.approx(0.15, abs=1e-5)
    assert take(db, store, 1, rate, T0, key="sms:+13125550111") == 0.0  # its own budget


def test_the_budget_refills_at_the_rate(db: Database, store: Store) -> None:
    rate = Rate(10.0, 5.0)
    for _ in range(5):
        take(db, store, 1, rate, T0)
    assert take(db, store, 1, rate, T0 + 0.1) == 0.0  # told 0.1 s: it fits then
    assert take(db, store, 1, rate, T0 + 0.15) > 0
    assert [take(db, store, 1, rate, T0 + 60) for _ in range(6)][-2:] == \
        [0.0, pytest.approx(0.1, abs=1e-5)]  # a minute idle: a full burst again, no more


def test_segments_are_spent_not_messages(db: Database, store: Store) -> None:
    rate = Rate(1.0, 3.0)
    assert take(db, store, 3, rate, T0) == 0.0
    assert take(db, store, 1, rate, T0 + 0.5) == pytest.approx(0.5, abs=1e-5)
    assert take(db, store, 3, rate, T0 + 3) == 0.0
    # Larger than the burst: it goes once the sender is idle, and pushes the next back.
    assert take(db, store, 5, rate, T0 + 5) > 0
    assert take(db, store, 5, rate, T0 + 6) == 0.0
    assert take(db, store, 1, rate, T0 + 6) == pytest.approx(3.0, abs=1e-5)


def test_a_budget_spent_in_a_transaction_that_rolls_back_is_not_spent(db: Database) -> None:
    store, rate = DatabaseStore(), Rate(1.0, 1.0)
    with pytest.raises(RuntimeError), db.transaction() as s:
        assert store.take(s, "sms:+12125550110", 1, rate, T0) == 0.0
        raise RuntimeError("the claim failed")
    assert take(db, store, 1, rate, T0) == 0.0
    with db.reading() as s:
        assert s.scalar(sa.select(send_rates.c.tat)) == pytest.approx(T0 + 1)


@pytest.mark.pg
def test_on_postgresql_a_second_claim_is_told_to_look_again_rather_than_wait(
        pg_database: Database) -> None:
    """SQLite has one writer; on PostgreSQL a claim holds its senders' budgets until it
    commits, and another claim that meets one of them does not queue up behind it."""
    db, store, rate = pg_database, DatabaseStore(), Rate(4.0, 4.0)
    busy, free = f"sms:busy-{uuid.uuid4().hex}", f"sms:free-{uuid.uuid4().hex}"
    with db.transaction() as first:
        assert store.take(first, busy, 1, rate, T0) == 0.0
        with Session(db.engine) as second, second.begin():
            assert store.take(second, busy, 1, rate, T0) == 0.25  # at once, nothing spent
            assert store.take(second, free, 1, rate, T0) == 0.0
    assert [take(db, store, 1, rate, T0, key=busy) for _ in range(4)] == [0.0, 0.0, 0.0, 0.25]


@pytest.mark.redis
def test_a_redis_budget_expires_a_little_after_its_burst_window() -> None:
    need(bool(REDIS_URL), "Redis (DOORSTEP_TEST_REDIS_URL)")
    import redis

    client = redis.Redis.from_url(REDIS_URL or "")
    prefix = f"doorstep:rate:test-{uuid.uuid4().hex[:8]}:"
    try:
        store = RedisStore(client, prefix)
        assert store.take(None, "sms:+1", 1, Rate(2.0, 4.0), T0) == 0.0  # type: ignore[arg-type]
        assert 2000 < int(client.pttl(prefix + "sms:+1")) <= 3000
        assert float(client.get(prefix + "sms:+1") or 0) == pytest.approx(T0 + 0.5)
    finally:
        client.delete(prefix + "sms:+1")
        client.close()


# --- the outbox drain -------------------------------------------------------------------------


@dataclass
class Counting:
    """The limiter's store, counting how often it is asked."""

    inner: Store
    asked: int = 0

    def take(self, s: Session, key: str, cost: float, rate: Rate, now: float) -> float:
        self.asked += 1
        return self.inner.take(s, key, cost, rate, now)


@dataclass
class Recording:
    """A channel that takes everything and remembers what, and when."""

    clock: VirtualClock
    name: str = "recording"
    sent: list[tuple[datetime, Outgoing]] = field(default_factory=list)

    def send(self, message: Outgoing) -> Accepted:
        self.sent.append((self.clock.now(), message))
        return Accepted(f"SM{len(self.sent):032x}", 1)

    def find(self, message: Outgoing, since: datetime) -> Accepted | None:
        return None


def queue(rt: Runtime, key: str, *, channel: Channel = Channel.SMS, body: str = ONE_SEGMENT,
          to: str | None = None, shipper: str | None = "freshcart") -> str:
    to = to or ("rx@example.com" if channel is Channel.EMAIL else
                f"+1212555{zlib.crc32(key.encode()) % 10_000:04d}")
    action = QueueMessage(purpose="notify.window", channel=channel, audience=Audience.RECIPIENT,
                          dedup_key=key, subject_type="delivery", subject_id=key, to_addr=to,
                          template="failed_attempt", shipper_id=shipper, body=body)
    with rt.db.transaction() as s:
        assert queue_message(s, action, rt.clock.now())
        return str(s.scalar(sa.select(messages.c.id).where(messages.c.dedup_key == key)))


def send_afters(rt: Runtime) -> list[timedelta]:
    with rt.db.reading() as s:
        return sorted(r - rt.clock.now() for r in s.scalars(
            sa.select(messages.c.send_after).where(messages.c.status == MessageStatus.QUEUED)))


def test_over_its_budget_a_message_waits_its_turn_and_the_batch_asks_only_once(
        runtime: Runtime, store: Store, clock: VirtualClock) -> None:
    counting = Counting(store)
    limiter = Limiter(counting, sms=Rate(1.0, 2.0))
    for i in range(5):
        queue(runtime, f"m{i}")
    channel = Recording(clock)

    assert sender.send_due(runtime.db, lambda _c: channel, clock.now, limiter=limiter) == 2
    assert counting.asked == 3  # two spent, one refused; the two behind it not asked
    assert send_afters(runtime) == [timedelta(seconds=s) for s in (1, 2, 3)]

    for second in range(1, 4):
        assert sender.send_due(runtime.db, lambda _c: channel, clock.now, limiter=limiter) == 0
        clock.advance(timedelta(seconds=1))
        assert sender.send_due(runtime.db, lambda _c: channel, clock.now, limiter=limiter) == 1
        assert channel.sent[-1][0] == START + timedelta(seconds=second)
    assert len({m.message_id for _, m in channel.sent}) == 5 and send_afters(runtime) == []


def test_a_long_text_spends_its_segments_and_alerts_are_never_held(
        runtime: Runtime, store: Store, clock: VirtualClock) -> None:
    limiter = Limiter(store, sms=Rate(1.0, 1.0))
    queue(runtime, "long", body=THREE_SEGMENTS)
    clock.advance(timedelta(milliseconds=1))  # claimed in the order queued
    queue(runtime, "short")
    for i in range(3):
        queue(runtime, f"alert{i}", channel=Channel.ALERT, to="ops@example.com", shipper=None)
    channel = Recording(clock)

    assert sender.send_due(runtime.db, lambda _c: channel, clock.now, limiter=limiter) == 4
    assert [m.body for _, m in channel.sent if m.sender] == [THREE_SEGMENTS]
    assert send_afters(runtime) == [timedelta(seconds=3)]  # three segments at 1 a second


def test_email_spends_messages_and_each_sender_has_its_own_budget(
        runtime: Runtime, store: Store, clock: VirtualClock) -> None:
    limiter = Limiter(store, sms=Rate(1.0, 1.0), email=Rate(2.0, 2.0))
    for i in range(3):
        queue(runtime, f"mail{i}", channel=Channel.EMAIL, body="x" * 5000, shipper="homenest")
        queue(runtime, f"fc{i}")
        queue(runtime, f"tl{i}", shipper="threadline")
    channel = Recording(clock)

    assert sender.send_due(runtime.db, lambda _c: channel, clock.now, limiter=limiter) == 4
    senders = sorted(m.sender or "" for _, m in channel.sent)
    assert senders == sorted([FRESHCART, THREADLINE] + ["HomeNest <delivery@homenest.example>"] * 2)
    assert send_afters(runtime) == [timedelta(seconds=s) for s in (0.5, 1, 1, 2, 2)]


def test_with_nothing_due_the_drain_is_told_when_to_look_again(
        runtime: Runtime, clock: VirtualClock) -> None:
    assert due.next_due(runtime.db, clock.now()) is None
    assert not due.wait_for_next(runtime.db, clock)  # nothing queued: nothing to wait for
    queue(runtime, "now")
    assert due.next_due(runtime.db, clock.now()) == clock.now()
    limiter = Limiter(DatabaseStore(), sms=Rate(1.0, 1.0))
    channel = Recording(clock)
    queue(runtime, "later")
    sender.send_due(runtime.db, lambda _c: channel, clock.now, limiter=limiter)
    assert due.next_due(runtime.db, clock.now()) == clock.now() + timedelta(seconds=1)
    # A paused virtual clock moves only when its owner moves it: waiting would bring nothing.
    assert not due.wait_for_next(runtime.db, clock)


def test_the_periodic_drain_paces_a_backlog_at_the_rate_without_spinning(
        tmp_path: Path, db_url: str) -> None:
    """The worker's drain task on a clock that runs (5× real time), against the fake Twilio:
    it sends a whole backlog at 10 segments/s in one run, and between sends it waits for the
    next due message instead of claiming again and again (claims are counted at the driver)."""
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        os.environ.pop(name, None)
    clock = VirtualClock(START, speed=5.0)
    with FakeTwilio(clock=clock, seed=3) as fake:
        settings = make_settings(tmp_path, db_url, messaging="live", sms_rate_per_sender=10.0,
                                 twilio_account_sid=fake.account_sid,
                                 twilio_auth_token=fake.auth_token, twilio_base_url=fake.url)
        rt = Runtime.build(settings, clock=clock, immediate=True)
        rt.sync_operator()
        n = 40
        for i in range(n):
            queue(rt, f"b{i}", to=f"+1212555{i:04d}")
        claims = 0

        def count(_conn: object, _cursor: object, statement: str, *_: object) -> None:
            nonlocal claims
            claims += "ORDER BY messages.send_after" in statement

        sa.event.listen(rt.db.engine, "before_cursor_execute", count)
        try:
            assert drain_outbox(rt) == n
            with rt.db.reading() as s:
                first_claim = s.scalar(sa.select(sa.func.min(message_attempts.c.started_at)))
        finally:
            sa.event.remove(rt.db.engine, "before_cursor_execute", count)
            rt.db.dispose()
        last_sent = max(m.date_created for m in fake.messages)

    assert len({m.to for m in fake.messages}) == len(fake.messages) == n
    # 10 at once, then 30 at 10 a second: paced, in one run of the task.
    assert last_sent - first_claim >= timedelta(seconds=(n - 10) / 10)
    assert claims <= 3 * n, f"{claims} claims for {n} messages: the drain spun"
