"""kill -9 a real sending process at random points while it drains thousands of queued
messages to the fake Twilio; restart it; every message reaches the provider exactly once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import sqlalchemy as sa

from doorstep.clock import SystemClock
from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.runtime import Runtime
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.migrate import upgrade
from doorstep.store.sql import count_by
from doorstep.store.tables import message_attempts, messages
from doorstep.workflows.actions import Audience, QueueMessage
from tests.conftest import make_settings
from tests.integration.http.processes import doorstep_bin, doorstep_env

MESSAGES = 2000
KILLS = 5
TIMEOUT = 120.0


def queue_many(rt: Runtime, n: int) -> list[str]:
    with rt.db.transaction() as s:
        for i in range(n):
            queue_message(s, QueueMessage(
                purpose="recover.reach_out", channel=Channel.SMS, audience=Audience.RECIPIENT,
                dedup_key=f"crash-{i}", subject_type="delivery", subject_id=f"D{i}",
                to_addr=f"+1212555{i:04d}", template="failed_attempt",
                context={"reason": "not_home", "attempt": 1}, shipper_id="freshcart",
                # No market: no quiet hours, so the test means the same at any hour it runs.
                market_id=None), rt.clock.now())
        return [str(r) for r in s.scalars(sa.select(messages.c.id))]


def ours(fake: FakeTwilio) -> Counter[str]:
    """How many times the provider was asked to create each of our messages (the id rides in
    the status callback URL)."""
    counts: Counter[str] = Counter()
    for m in fake.messages:
        for callback in m.params.get("StatusCallback", []):
            counts.update(parse_qs(urlparse(callback).query).get("m", []))
    return counts


def test_sigkill_while_draining_loses_nothing_and_sends_nothing_twice(tmp_path: Path) -> None:
    for name in ("TWILIO_EDGE", "TWILIO_REGION"):
        os.environ.pop(name, None)
    url = f"sqlite:///{tmp_path / 'doorstep.db'}"
    rt = Runtime.build(make_settings(tmp_path, url))
    upgrade(rt.db)
    rt.sync_operator()
    ids = queue_many(rt, MESSAGES)
    rng = random.Random(20261124)

    with FakeTwilio(clock=SystemClock(), seed=9) as fake:
        env = doorstep_env(tmp_path / "var", url, DOORSTEP_MESSAGING="live",
                           DOORSTEP_TWILIO_ACCOUNT_SID=fake.account_sid,
                           DOORSTEP_TWILIO_AUTH_TOKEN=fake.auth_token,
                           DOORSTEP_TWILIO_BASE_URL=fake.url,
                           DOORSTEP_PUBLIC_URL="http://127.0.0.1:9",  # receipts are not needed
                           DOORSTEP_TWILIO_TIMEOUT_SECONDS=2,
                           DOORSTEP_OUTBOX_STALE_SECONDS=3, DOORSTEP_LOG_LEVEL="WARNING",
                           # One number sends them all: a budget that is never the bottleneck.
                           DOORSTEP_SMS_RATE_PER_SENDER=100_000)
        log = (tmp_path / "drain.log").open("ab")
        kills = 0
        for _ in range(KILLS):
            before = len(fake.messages)
            target = before + rng.randint(20, MESSAGES // (KILLS + 1))
            proc = subprocess.Popen([doorstep_bin(), "outbox", "drain", "--until-empty"],
                                    env=env, cwd=tmp_path, stdout=log, stderr=log)
            deadline = time.monotonic() + TIMEOUT
            while len(fake.messages) < target and proc.poll() is None:
                assert time.monotonic() < deadline, "the drain made no progress"
                time.sleep(0.005)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)

        final = subprocess.run([doorstep_bin(), "outbox", "drain", "--until-empty"], env=env,
                               cwd=tmp_path, stdout=log, stderr=log, timeout=TIMEOUT)
        assert final.returncode == 0, (tmp_path / "drain.log").read_text()[-3000:]
        created = ours(fake)

    lost = [i for i in ids if created[i] == 0]
    duplicates = {i: n for i, n in created.items() if n > 1}
    with rt.db.reading() as s:
        statuses = count_by(s, messages.c.status)
        # Sends cut short by a kill, settled by asking the provider: the path this test is for.
        settled = count_by(s, message_attempts.c.outcome)
    rt.db.dispose()
    print(f"\noutbox crash test: {kills} kills, {MESSAGES} messages, {len(lost)} lost, "
          f"{len(duplicates)} sent twice; attempts {dict(sorted(settled.items()))}")
    assert kills == KILLS and settled.get("reconciled", 0) + settled.get("unknown", 0) > 0
    assert lost == [] and duplicates == {}
    assert statuses == {MessageStatus.SENT.value: MESSAGES}
