"""Draining the outbox on both engines: each message handed over once, whatever happens."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.messaging import consent, sender
from doorstep.messaging.channels.base import Accepted, Outgoing, Permanent, Transient, Unknown
from doorstep.messaging.daytime import Daytime
from doorstep.runtime import Runtime
from doorstep.store.tables import consent_changes, message_attempts, messages
from doorstep.workflows.actions import Audience, QueueMessage

PHONE = "+12125550147"
SHIPPER_SENDER = "+12125550110"  # freshcart's sms_from in doorstep.toml


@dataclass
class ScriptedChannel:
    """The test face of a channel: answers from a script, remembers what it was given."""

    name: str = "test"
    script: list[Accepted | Exception] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)
    provider: dict[str, Accepted] = field(default_factory=dict)  # what the provider "has"

    def send(self, message: Outgoing) -> Accepted:
        answer = self.script.pop(0) if self.script else Accepted(f"SM{len(self.sent):032x}", 1)
        self.sent.append(message)
        if isinstance(answer, Unknown):
            self.provider[message.message_id] = Accepted(f"SMu{len(self.sent):031x}", 1)
        if isinstance(answer, Exception):
            raise answer
        self.provider[message.message_id] = answer
        return answer

    def find(self, message: Outgoing, since: datetime) -> Accepted | None:
        return self.provider.get(message.message_id)


def queue(rt: Runtime, key: str, *, to: str | None = PHONE, **extra: object) -> str:
    action = QueueMessage(
        purpose="recover.reach_out", channel=Channel.SMS, audience=Audience.RECIPIENT,
        dedup_key=key, subject_type="delivery", subject_id="D1", to_addr=to,
        template="failed_attempt", context={"reason": "not_home", "attempt": 1},
        shipper_id="freshcart", market_id="nyc", **extra)  # type: ignore[arg-type]
    with rt.db.transaction() as s:
        assert queue_message(s, action, rt.clock.now())
        return str(s.scalar(sa.select(messages.c.id).where(messages.c.dedup_key == key)))


def state(rt: Runtime, message_id: str) -> sa.Row:
    with rt.db.reading() as s:
        return s.execute(sa.select(messages).where(messages.c.id == message_id)).one()


def attempts(rt: Runtime, message_id: str) -> list[tuple[int, str | None]]:
    with rt.db.reading() as s:
        return [(r.number, r.outcome) for r in s.execute(
            sa.select(message_attempts).where(message_attempts.c.message_id == message_id)
            .order_by(message_attempts.c.number))]


def drain(rt: Runtime, channel: ScriptedChannel) -> int:
    return sender.send_due(rt.db, lambda _c: channel, rt.clock.now)


def test_a_due_message_is_rendered_sent_once_and_its_attempt_recorded(runtime: Runtime) -> None:
    mid = queue(runtime, "k1", to="(212) 555-0147")
    channel = ScriptedChannel()

    assert drain(runtime, channel) == 1
    assert drain(runtime, channel) == 0

    row = state(runtime, mid)
    assert row.status == MessageStatus.SENT and row.provider_id == f"SM{0:032x}"
    assert [m.to for m in channel.sent] == [PHONE]  # normalised to E.164
    assert channel.sent[0].sender == SHIPPER_SENDER
    assert channel.sent[0].body.startswith("FreshCart Grocery: we tried to deliver your parcel today "
                                           "but no one was home.")
    assert row.body == channel.sent[0].body and row.segments == 1
    assert attempts(runtime, mid) == [(1, "sent")]


def test_a_message_waits_for_its_time_and_one_past_its_use_is_suppressed(runtime: Runtime) -> None:
    later = queue(runtime, "later", send_after=runtime.clock.now() + timedelta(hours=2))
    stale = queue(runtime, "stale", expires_at=runtime.clock.now() - timedelta(minutes=1))
    channel = ScriptedChannel()

    drain(runtime, channel)
    assert channel.sent == [] and state(runtime, later).status == MessageStatus.QUEUED
    assert (state(runtime, stale).status, state(runtime, stale).suppressed_reason) == \
        (MessageStatus.SUPPRESSED, "quiet_hours_expired")

    runtime.clock.advance(timedelta(hours=2))
    drain(runtime, channel)
    assert state(runtime, later).status == MessageStatus.SENT and len(channel.sent) == 1


@pytest.mark.parametrize("to", ["12", "+1 212 555", "not a number", None])
def test_an_invalid_number_suppresses_the_message_with_the_reason(runtime: Runtime,
                                                                  to: str | None) -> None:
    mid = queue(runtime, "bad", to=to)
    channel = ScriptedChannel()

    drain(runtime, channel)

    assert channel.sent == []
    assert (state(runtime, mid).status, state(runtime, mid).suppressed_reason) == \
        (MessageStatus.SUPPRESSED, "invalid_number")


def test_no_one_who_opted_out_of_that_sender_is_messaged(runtime: Runtime) -> None:
    now = runtime.clock.now()
    with runtime.db.transaction() as s:
        consent.record(s, consent.ConsentChange(Channel.SMS, PHONE, SHIPPER_SENDER, True, now,
                                                "reply", "STOP"))
    blocked = queue(runtime, "blocked")
    channel = ScriptedChannel()
    drain(runtime, channel)
    assert channel.sent == []
    assert state(runtime, blocked).suppressed_reason == "opted_out"

    with runtime.db.transaction() as s:
        consent.record(s, consent.ConsentChange(Channel.SMS, PHONE, SHIPPER_SENDER, False, now,
                                                "reply", "START"))
    again = queue(runtime, "after-start")
    drain(runtime, channel)
    assert state(runtime, again).status == MessageStatus.SENT


def test_an_opt_out_from_every_sender_blocks_each_of_them(runtime: Runtime) -> None:
    with runtime.db.transaction() as s:
        consent.record(s, consent.ConsentChange(Channel.SMS, PHONE, consent.EVERY_SENDER, True,
                                                runtime.clock.now(), "person", "asked by phone"))
        assert consent.opted_out(s, Channel.SMS, PHONE, "+13125550100")
        assert consent.opted_out(s, Channel.SMS, PHONE, None)
        assert not consent.opted_out(s, Channel.SMS, "+12125550148", SHIPPER_SENDER)


def test_a_transient_error_retries_with_backoff_and_gives_up_after_the_last(
        runtime: Runtime) -> None:
    mid = queue(runtime, "flaky")
    channel = ScriptedChannel(script=[Transient("20429", "too many requests")])

    drain(runtime, channel)
    row = state(runtime, mid)
    assert (row.status, row.error_code) == (MessageStatus.QUEUED, "20429")
    assert row.send_after == runtime.clock.now() + sender.RETRY_AFTER[0]
    assert drain(runtime, channel) == 0  # not before its time

    runtime.clock.advance(sender.RETRY_AFTER[0])
    drain(runtime, channel)
    assert state(runtime, mid).status == MessageStatus.SENT
    assert attempts(runtime, mid) == [(1, "transient"), (2, "sent")]

    doomed = queue(runtime, "doomed")
    channel.script = [Transient("20429", "busy")] * sender.MAX_ATTEMPTS
    for delay in [timedelta(0), *sender.RETRY_AFTER]:
        runtime.clock.advance(delay)
        drain(runtime, channel)
    assert (state(runtime, doomed).status, state(runtime, doomed).attempts) == \
        (MessageStatus.FAILED, sender.MAX_ATTEMPTS)


def test_an_opt_out_reported_by_the_carrier_ends_the_message_and_records_the_opt_out(
        runtime: Runtime) -> None:
    mid = queue(runtime, "carrier")
    channel = ScriptedChannel(script=[Permanent("21610", "unsubscribed recipient", "opted_out")])

    drain(runtime, channel)
    next_one = queue(runtime, "next")
    drain(runtime, channel)

    assert (state(runtime, mid).status, state(runtime, mid).error_code) == \
        (MessageStatus.FAILED, "21610")
    assert state(runtime, next_one).suppressed_reason == "opted_out"
    assert len(channel.sent) == 1
    with runtime.db.reading() as s:
        change = s.execute(sa.select(consent_changes)).one()
    assert (change.sender, change.source, change.opted_out) == (SHIPPER_SENDER, "carrier", True)


def test_an_unknown_outcome_is_reconciled_not_resent(runtime: Runtime) -> None:
    mid = queue(runtime, "timeout")
    channel = ScriptedChannel(script=[Unknown("timeout", "no answer in 10 s")])

    drain(runtime, channel)
    assert state(runtime, mid).status == MessageStatus.SENDING
    assert sender.reconcile(runtime.db, lambda _c: channel, runtime.clock.now) == 0  # too soon

    runtime.clock.advance(sender.STALE_SENDING)
    assert sender.reconcile(runtime.db, lambda _c: channel, runtime.clock.now) == 1
    assert drain(runtime, channel) == 0
    assert state(runtime, mid).status == MessageStatus.SENT and len(channel.sent) == 1
    assert attempts(runtime, mid) == [(1, "reconciled")]


def test_a_worker_that_died_after_claiming_is_replaced_by_one_send(runtime: Runtime) -> None:
    mid = queue(runtime, "orphan")
    with runtime.db.transaction() as s:
        assert len(sender.claim(s, runtime.clock.now())) == 1  # ... and the process dies here
    channel = ScriptedChannel()

    runtime.clock.advance(sender.STALE_SENDING)
    sender.reconcile(runtime.db, lambda _c: channel, runtime.clock.now)
    drain(runtime, channel)
    drain(runtime, channel)

    assert len(channel.sent) == 1 and state(runtime, mid).status == MessageStatus.SENT
    assert attempts(runtime, mid) == [(1, "unknown"), (2, "sent")]


def test_workers_draining_at_once_send_each_message_once(runtime: Runtime) -> None:
    ids = [queue(runtime, f"many-{i}", to=f"+1212555{i:04d}") for i in range(60)]
    channel = ScriptedChannel()
    lock = threading.Lock()

    class Shared(ScriptedChannel):
        def send(self, message: Outgoing) -> Accepted:
            with lock:
                return channel.send(message)

    shared = Shared()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            while sender.send_due(runtime.db, lambda _c: shared, runtime.clock.now, limit=7):
                pass
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)

    assert errors == []
    assert sorted(m.message_id for m in channel.sent) == sorted(ids)
    assert {state(runtime, i).status for i in ids} == {MessageStatus.SENT}


def test_a_recipient_is_not_texted_before_daytime_but_the_supervisor_is(runtime: Runtime) -> None:
    """06:00 in New York: the recipient's text waits for 08:00; an alert goes at once; a text
    that would only matter until 07:30 is suppressed rather than sent late."""
    waits = queue(runtime, "early")
    too_late = queue(runtime, "moot", expires_at=runtime.clock.now() + timedelta(minutes=90))
    with runtime.db.transaction() as s:
        queue_message(s, QueueMessage(
            purpose="crew.callout", channel=Channel.ALERT, audience=Audience.SUPERVISOR,
            dedup_key="alert", subject_type="shift", subject_id="S1", to_addr=None,
            template="callout_alert", context={"driver": "Pat", "depot_id": "nyc-bk",
                                               "starts_at": "07:00", "hours_to_start": 1,
                                               "reason": None},
            market_id="nyc"), runtime.clock.now())
    channel = ScriptedChannel()
    daytime = Daytime()

    sender.send_due(runtime.db, lambda _c: channel, runtime.clock.now, daytime=daytime)

    assert [m.body[:8] for m in channel.sent] == ["Callout:"]
    eight = runtime.clock.now().replace(hour=13, minute=0)  # 08:00 in New York, in UTC
    assert (state(runtime, waits).status, state(runtime, waits).send_after) == \
        (MessageStatus.QUEUED, eight)
    assert state(runtime, too_late).suppressed_reason == "quiet_hours_expired"

    runtime.clock.advance(timedelta(hours=2))
    sender.send_due(runtime.db, lambda _c: channel, runtime.clock.now, daytime=daytime)
    assert state(runtime, waits).status == MessageStatus.SENT and len(channel.sent) == 2
