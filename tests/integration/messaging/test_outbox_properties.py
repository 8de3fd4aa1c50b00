"""Property: no sequence of queued messages, opt-outs and opt-ins (recorded, or texted in any
words through the inbound path, even twice), provider answers (accepted, busy, refused,
unknown), crashes between claim and send, reconciliations and waiting sends a message twice,
or to a number that had opted out of that sender when it was sent."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from doorstep.clock import VirtualClock
from doorstep.domain import Channel
from doorstep.events.outbox import queue_message
from doorstep.messaging import consent, inbound, sender
from doorstep.messaging.channels.base import Accepted, Outgoing, Permanent, Transient, Unknown
from doorstep.runtime import Runtime
from doorstep.store.migrate import upgrade
from doorstep.workflows.actions import Audience, QueueMessage
from tests.conftest import START, make_settings

NUMBERS = ["+12125550101", "+12125550102", "+12125550103"]
SENDER = "+12125550110"  # freshcart
# Replies as people write them, and what each means for consent (None: nothing).
REPLIES = {"STOP": True, "stop texting me!!": True, "Unsubscribe": True, "  Quit. ": True,
           "no más mensajes": True, "START": False, "unstop": False,
           "please stop by after 5": None, "HELP": None, "saturday works": None,
           "don't stop, I need it": None}
ANSWERS = st.sampled_from(["accept", "accept", "accept", "busy", "refuse", "unknown_made",
                           "unknown_not_made"])


class Provider:
    """Answers as told; keeps what it created; checks consent at the moment of each send."""

    name = "property"

    def __init__(self, machine: OutboxMachine) -> None:
        self.machine = machine
        self.created: dict[str, Accepted] = {}
        self.creates: Counter[str] = Counter()
        self.answers: list[str] = []
        self.to_opted_out: list[str] = []

    def send(self, message: Outgoing) -> Accepted:
        if self.machine.opted_out.get(message.to, False):
            self.to_opted_out.append(message.message_id)
        answer = self.answers.pop(0) if self.answers else "accept"
        if answer == "busy":
            raise Transient("20429", "busy")
        if answer == "refuse":
            raise Permanent("21211", "invalid", "invalid_number")
        made = Accepted(f"SM{len(self.creates):032x}", 1)
        if answer in ("accept", "unknown_made"):
            self.created[message.message_id] = made
            self.creates[message.message_id] += 1
        if answer.startswith("unknown"):
            raise Unknown("timeout", "no answer")
        return made

    def find(self, message: Outgoing, since: object) -> Accepted | None:
        return self.created.get(message.message_id)


class OutboxMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(__import__("tempfile").mkdtemp(prefix="doorstep-prop-"))
        self.clock = VirtualClock(START)
        self.rt = Runtime.build(make_settings(self.dir, f"sqlite:///{self.dir / 'd.db'}"),
                                clock=self.clock, immediate=True)
        upgrade(self.rt.db)
        self.rt.sync_operator()
        self.provider = Provider(self)
        self.opted_out: dict[str, bool] = {}
        self.queued = 0
        self.replies = 0

    def teardown(self) -> None:
        self.rt.db.dispose()

    def channels(self, _channel: Channel) -> Provider:
        return self.provider

    @rule(number=st.sampled_from(NUMBERS), repeat=st.booleans())
    def queue(self, number: str, repeat: bool) -> None:
        key = f"k{self.queued - 1 if repeat and self.queued else self.queued}"
        self.queued += 0 if repeat and self.queued else 1
        with self.rt.db.transaction() as s:
            queue_message(s, QueueMessage(
                purpose="p", channel=Channel.SMS, audience=Audience.RECIPIENT, dedup_key=key,
                subject_type="delivery", subject_id=key, to_addr=number,
                template="failed_attempt", context={"reason": "access"},
                shipper_id="freshcart", market_id="nyc"), self.clock.now())

    @rule(number=st.sampled_from(NUMBERS), out=st.booleans(), every=st.booleans())
    def consent_change(self, number: str, out: bool, every: bool) -> None:
        with self.rt.db.transaction() as s:
            consent.record(s, consent.ConsentChange(
                Channel.SMS, number, consent.EVERY_SENDER if every else SENDER, out,
                self.clock.now(), "reply", "STOP" if out else "START"))
        self.opted_out[number] = out

    @rule(number=st.sampled_from(NUMBERS), text=st.sampled_from(sorted(REPLIES)),
          twice=st.booleans())
    def reply(self, number: str, text: str, twice: bool) -> None:
        """A text comes in through the Twilio webhook's path (maybe delivered twice)."""
        self.replies += 1
        incoming = inbound.Incoming(f"SM{self.replies:032x}", number, SENDER, None, text)
        contact = inbound.Contact("Brightline", "+12125550100", None)
        for _ in range(2 if twice else 1):
            with self.rt.db.transaction() as s:
                inbound.receive(s, incoming, self.clock.now(), contact)
        if REPLIES[text] is not None:
            self.opted_out[number] = bool(REPLIES[text])

    @rule(answers=st.lists(ANSWERS, max_size=6))
    def drain(self, answers: list[str]) -> None:
        self.provider.answers = answers
        sender.send_due(self.rt.db, self.channels, self.clock.now)

    @rule(made=st.booleans())
    def drain_into_a_timeout(self, made: bool) -> None:
        """The provider times out on every send: it made the messages, or it did not."""
        self.provider.answers = ["unknown_made" if made else "unknown_not_made"] * sender.BATCH
        sender.send_due(self.rt.db, self.channels, self.clock.now)
        self.provider.answers = []

    @rule()
    def crash_after_claim(self) -> None:
        with self.rt.db.transaction() as s:
            sender.claim(s, self.clock.now(), limit=3)

    @rule(minutes=st.sampled_from([0, 1, 4, 5, 30, 240]))
    def wait(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @rule()
    def reconcile(self) -> None:
        sender.reconcile(self.rt.db, self.channels, self.clock.now)

    @invariant()
    def never_twice_never_to_the_opted_out(self) -> None:
        assert [m for m, n in self.provider.creates.items() if n > 1] == []
        assert self.provider.to_opted_out == []


OutboxMachine.TestCase.settings = settings(
    max_examples=100, stateful_step_count=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_the_outbox_never_sends_twice_nor_to_the_opted_out = OutboxMachine.TestCase
