"""Send budgets hold across processes: several OS processes drain one outbox through the real
twilio SDK to the fake Twilio, and no sender ever gets more than its rate.

Every process and the fake read one virtual clock kept in shared memory; the test moves it in
small uneven steps and lets every worker drain at each step before the next (two barriers), so
within a step the workers race each other for the same budgets, and each send is stamped by the
fake at the instant its budget was taken. What the fake recorded is then checked: in every
window of one second, a sender got at most rate + burst segments; each message once.
"""

from __future__ import annotations

import os
import random
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

import pytest

from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.messaging import sender
from doorstep.messaging.channels.twilio_sms import TwilioSms
from doorstep.runtime import Runtime
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.sql import count_by
from doorstep.store.tables import messages
from doorstep.workflows.actions import Audience, QueueMessage
from tests.conftest import PG_URL, REDIS_URL, START, _truncate, make_settings, need

WORKERS = 3
RATE = 100.0  # segments a second per number; high, so that the test takes seconds
BURST_SECONDS = 1.0
BUSY, QUIET = "+12125550110", "+13125550111"  # freshcart's and threadline's numbers
ONE_SEGMENT = "FreshCart Grocery: your parcel arrives today between 2 and 4 pm."
THREE_SEGMENTS = "📦 " + "x" * 150  # UCS-2: 153 units, 67 a part
STEP_TIMEOUT = 60.0
START_TIMEOUT = 120.0  # the first step waits for every worker's interpreter to start


class SharedClock:
    """Virtual time in shared memory: every process reads it, only the test moves it."""

    speed = 0.0  # it does not run by itself

    def __init__(self, seconds: Any) -> None:
        self.seconds = seconds

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.seconds.value, UTC)


def drain_in_steps(settings: dict[str, Any], twilio: tuple[str, str, str], seconds: Any,
                   go: Barrier, done: Barrier, stop: Any) -> None:
    """One worker process: at every step of the clock, drain until nothing is handed over."""
    try:
        rt = Runtime.build(make_settings(**settings), clock=SharedClock(seconds), immediate=True)
        sid, token, url = twilio
        sms = TwilioSms(sid, token, base_url=url, timeout=10)
        go.wait(START_TIMEOUT)
        while not stop.value:
            while sender.send_due(rt.db, lambda _c: sms, rt.clock.now, limiter=rt.limiter):
                pass
            done.wait(STEP_TIMEOUT)
            go.wait(STEP_TIMEOUT)
        rt.db.dispose()
    except BaseException:
        traceback.print_exc()
        go.abort()  # the test fails at its next wait rather than hanging
        done.abort()
        raise


def queue_all(rt: Runtime) -> dict[str, str]:
    """200 texts from the busy number (every 5th of 3 segments), 3 from the quiet one."""
    to_sender: dict[str, str] = {}
    with rt.db.transaction() as s:
        for i in range(203):
            number = BUSY if i < 200 else QUIET
            to = f"+1212555{i:04d}"
            queue_message(s, QueueMessage(
                purpose="notify.window", channel=Channel.SMS, audience=Audience.RECIPIENT,
                dedup_key=f"many-{i}", subject_type="delivery", subject_id=f"D{i}", to_addr=to,
                template="failed_attempt", shipper_id="freshcart" if number == BUSY
                else "threadline", body=THREE_SEGMENTS if i % 5 == 0 else ONE_SEGMENT),
                rt.clock.now())
            to_sender[to] = number
    return to_sender


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg),
                        pytest.param("redis", marks=pytest.mark.redis)])
def backend(request: pytest.FixtureRequest, tmp_path: Path,
            sqlite_template: Path) -> Iterator[dict[str, Any]]:
    """Where the outbox and the budgets live: SQLite, PostgreSQL, or SQLite with Redis."""
    if request.param == "postgresql":
        _truncate(request.getfixturevalue("pg_database"))
        yield {"db_url": PG_URL}
        return
    path = tmp_path / "doorstep.db"
    path.write_bytes(sqlite_template.read_bytes())
    if request.param == "sqlite":
        yield {"db_url": f"sqlite:///{path}"}
        return
    need(bool(REDIS_URL), "Redis (DOORSTEP_TEST_REDIS_URL)")
    import redis

    client = redis.Redis.from_url(REDIS_URL or "")
    for key in client.scan_iter("doorstep:rate:*"):  # budgets another run left behind
        client.delete(key)
    try:
        yield {"db_url": f"sqlite:///{path}", "redis_url": REDIS_URL}
    finally:
        for key in client.scan_iter("doorstep:rate:*"):
            client.delete(key)
        client.close()


def test_many_workers_never_give_a_sender_more_than_its_rate_and_send_each_message_once(
        tmp_path: Path, backend: dict[str, Any]) -> None:
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        os.environ.pop(name, None)
    ctx = get_context("spawn")
    seconds = ctx.Value("d", START.timestamp())
    stop = ctx.Value("b", 0)
    go, done = ctx.Barrier(WORKERS + 1), ctx.Barrier(WORKERS + 1)
    settings = {"tmp_path": tmp_path, "db_url": backend["db_url"], "messaging": "live",
                "sms_rate_per_sender": RATE, "send_burst_seconds": BURST_SECONDS,
                "redis_url": backend.get("redis_url")}
    rt = Runtime.build(make_settings(**settings), clock=SharedClock(seconds), immediate=True)
    rt.sync_operator()
    to_sender = queue_all(rt)
    rng = random.Random(uuid.uuid4().int)

    with FakeTwilio(clock=SharedClock(seconds), seed=11) as fake:
        twilio = (fake.account_sid, fake.auth_token, fake.url)
        workers = [ctx.Process(target=drain_in_steps, name=f"drain-{i}",
                               args=(settings, twilio, seconds, go, done, stop))
                   for i in range(WORKERS)]
        for w in workers:
            w.start()
        try:
            go.wait(START_TIMEOUT)
            for _ in range(2000):
                done.wait(STEP_TIMEOUT)
                if len(fake.messages) >= len(to_sender):
                    break
                seconds.value += rng.uniform(0.001, 0.030)
                go.wait(STEP_TIMEOUT)
            stop.value = 1
            go.wait(STEP_TIMEOUT)
        finally:
            for w in workers:
                w.join(timeout=STEP_TIMEOUT)
                if w.is_alive():
                    w.kill()
        sent = [(m.to, m.from_, m.date_created, int(m.num_segments)) for m in fake.messages]
    with rt.db.reading() as s:
        statuses = count_by(s, messages.c.status)
    rt.db.dispose()

    assert [w.exitcode for w in workers] == [0] * WORKERS
    assert statuses == {MessageStatus.SENT.value: len(to_sender)}
    per_recipient = Counter(to for to, *_ in sent)
    assert set(per_recipient) == set(to_sender) and set(per_recipient.values()) == {1}
    assert all(to_sender[to] == from_ for to, from_, *_ in sent)

    by_sender: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for _, from_, at, units in sent:
        by_sender[from_ or ""].append((at, units))
    burst = RATE * BURST_SECONDS
    most = RATE * 1.0 + burst
    for number, sends in by_sender.items():
        for start, _ in sends:
            window = sum(u for at, u in sends if start <= at <= start + timedelta(seconds=1))
            assert window <= most, f"{number}: {window} segments in the second from {start}"
    # And no slower than the budget allows, give or take a few steps: the limit is a pace, not
    # a stall. 280 segments from the busy number: 100 at once, then 100 a second.
    busy = by_sender[BUSY]
    units = sum(u for _, u in busy)
    assert units == 160 + 40 * 3
    paced = timedelta(seconds=(units - burst) / RATE)
    assert paced <= max(at for at, _ in busy) - START <= paced + timedelta(seconds=0.5)
    assert max(at for at, _ in by_sender[QUIET]) - START < timedelta(seconds=0.1)
