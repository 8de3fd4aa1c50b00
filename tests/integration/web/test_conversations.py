"""A reply answers the question it replies to: the reach-out after a failed attempt asks for a
day or instructions; the answer, texted through the fake Twilio to our webhook, becomes a
disposition or instructions on the delivery — or waits for a person."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from doorstep.domain import ConversationStatus, Direction, DispositionKind, EventType
from doorstep.events.format import make_event
from doorstep.messaging import sender
from doorstep.messaging.channels.twilio_sms import TwilioSms
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.tables import conversations, deliveries, dispositions, events, messages
from tests.factories import PHONE
from tests.integration.web.conftest import Site, two_shippers_day

FRESHCART = "+12125550110"
HOMENEST = "+16025550112"


@pytest.fixture
def asked(site: Site, fake: FakeTwilio, sms: TwilioSms) -> str:
    """The day has run; D-A2 failed at 06:14 and its reach-out went out at 08:00. The id of
    that message."""
    site.feed(two_shippers_day(site.clock))
    site.clock.advance(timedelta(hours=2))
    sender.send_due(site.rt.db, lambda _c: sms, site.clock.now)
    with site.rt.db.reading() as s:
        row = s.execute(sa.select(messages).where(messages.c.subject_id == "D-A2",
                                                  messages.c.purpose == "recover.reach_out")
                        ).one()
    assert row.status == "sent" and row.conversation_id is not None
    # The reach-out went from FreshCart's number (with the day's notices to the same phone).
    assert [(m.to, m.from_) for m in fake.messages if m.sid == row.provider_id] == [
        (PHONE, FRESHCART)]
    return str(row.id)


def replies(site: Site) -> list[sa.Row]:
    with site.rt.db.reading() as s:
        return list(s.execute(sa.select(messages).where(messages.c.direction == Direction.INBOUND)
                              .order_by(messages.c.created_at, messages.c.id)))


def conversation_of(site: Site, message_id: str) -> str:
    with site.rt.db.reading() as s:
        return str(s.scalar(sa.select(conversations.c.status).join(
            messages, messages.c.conversation_id == conversations.c.id)
            .where(messages.c.id == message_id)))


def decided(site: Site, delivery_id: str = "D-A2") -> list[tuple[str, date | None]]:
    with site.rt.db.reading() as s:
        return [(r.kind, r.redelivery_date) for r in s.execute(
            sa.select(dispositions).where(dispositions.c.delivery_id == delivery_id))]


def understood_events(site: Site) -> list[sa.Row]:
    with site.rt.db.reading() as s:
        return list(s.execute(sa.select(events).where(
            events.c.type == EventType.REPLY_UNDERSTOOD.value)))


def test_a_day_in_reply_to_the_reach_out_becomes_a_redelivery(
        site: Site, fake: FakeTwilio, asked: str) -> None:
    fake.send_inbound(PHONE, FRESHCART, "not tomorrow, saturday works")

    [reply] = replies(site)
    assert reply.purpose == "reply.date_time" and reply.subject_id == "D-A2"
    assert reply.needs_person_at is None
    assert decided(site) == [(DispositionKind.REDELIVER, date(2026, 11, 28))]  # Tue → Sat
    [event] = understood_events(site)
    assert event.status == "processed" and event.subject == "delivery:D-A2"
    assert conversation_of(site, asked) == ConversationStatus.ANSWERED


def test_the_same_reply_posted_twice_decides_once(
        site: Site, fake: FakeTwilio, asked: str) -> None:
    fake.send_inbound(PHONE, FRESHCART, "friday please")
    posted = fake.deliveries[-1]
    signature = {k.lower(): v for k, v in posted.headers.items()}["x-twilio-signature"]
    again = site.client().post("/webhooks/twilio/sms", content=urlencode(posted.params),
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "X-Twilio-Signature": signature})

    assert again.status_code == 200
    assert len(replies(site)) == 1 and len(understood_events(site)) == 1
    assert decided(site) == [(DispositionKind.REDELIVER, date(2026, 11, 27))]


def test_instructions_in_reply_are_kept_on_the_delivery(
        site: Site, fake: FakeTwilio, asked: str) -> None:
    fake.send_inbound(PHONE, FRESHCART, "gate code is 4412, leave it behind the planter")

    with site.rt.db.reading() as s:
        kept = s.scalar(sa.select(deliveries.c.instructions).where(deliveries.c.id == "D-A2"))
    assert kept is not None and "4412" in kept and "planter" in kept
    assert decided(site) == []


@pytest.mark.parametrize("body", ["what time will the driver come back?",
                                  "🤷‍♀️ who is this", "yes"])
def test_what_no_workflow_can_act_on_waits_for_a_person(
        site: Site, fake: FakeTwilio, asked: str, body: str) -> None:
    fake.send_inbound(PHONE, FRESHCART, body)

    [reply] = replies(site)
    assert reply.needs_person_at is not None and reply.settled_at is None
    assert decided(site) == []


def test_a_reply_to_another_senders_number_is_not_an_answer_to_this_question(
        site: Site, fake: FakeTwilio, asked: str) -> None:
    fake.send_inbound(PHONE, HOMENEST, "saturday works")

    [reply] = replies(site)
    assert reply.conversation_id is None and reply.needs_person_at is not None
    assert decided(site) == [] and conversation_of(site, asked) == ConversationStatus.OPEN


def test_a_reply_days_after_the_question_is_read_by_a_person(
        site: Site, fake: FakeTwilio, asked: str) -> None:
    site.clock.advance(timedelta(days=4))
    fake.send_inbound(PHONE, FRESHCART, "saturday works")

    [reply] = replies(site)
    assert reply.conversation_id is None and reply.needs_person_at is not None
    assert decided(site) == []


def test_stop_in_reply_to_a_question_ends_it_and_decides_nothing(
        site: Site, fake: FakeTwilio, asked: str) -> None:
    fake.send_inbound(PHONE, FRESHCART, "stop texting me")

    [reply] = replies(site)
    assert reply.purpose == "reply.stop" and reply.needs_person_at is None
    assert conversation_of(site, asked) == ConversationStatus.EXPIRED
    assert understood_events(site) == [] and decided(site) == []


def test_a_reply_through_the_generic_webhook_takes_the_same_path(
        site: Site, asked: str) -> None:
    site.feed([make_event("in-1", EventType.MESSAGE_RECEIVED, site.clock.now(), {
        "channel": "sms", "from_addr": PHONE, "to_addr": FRESHCART, "body": "sábado"})])

    [reply] = replies(site)
    assert reply.conversation_id is not None and reply.purpose == "reply.date_time"
    assert decided(site) == [(DispositionKind.REDELIVER, date(2026, 11, 28))]
