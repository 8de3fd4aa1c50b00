"""The outbox through the real twilio SDK to the fake Twilio, receipts back to our webhook.

Every figure asked of "nothing sent twice" is counted at the provider: the fake keeps every
message it was asked to create.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.messaging import consent, sender
from doorstep.messaging.channels.twilio_sms import TwilioSms
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.tables import messages
from doorstep.workflows.actions import Audience, QueueMessage
from tests.integration.web.conftest import Site

PHONE = "+12125550147"
FRESHCART_NUMBER = "+12125550110"


def queue(site: Site, key: str, to: str = PHONE) -> str:
    action = QueueMessage(purpose="recover.reach_out", channel=Channel.SMS,
                          audience=Audience.RECIPIENT, dedup_key=key, subject_type="delivery",
                          subject_id="D1", to_addr=to, template="failed_attempt",
                          context={"reason": "access", "attempt": 1}, language="es",
                          shipper_id="freshcart", market_id="nyc")
    with site.rt.db.transaction() as s:
        queue_message(s, action, site.clock.now())
        return str(s.scalar(sa.select(messages.c.id).where(messages.c.dedup_key == key)))


def row(site: Site, mid: str) -> sa.Row:
    with site.rt.db.reading() as s:
        return s.execute(sa.select(messages).where(messages.c.id == mid)).one()


def drain(site: Site, sms: TwilioSms) -> int:
    return sender.send_due(site.rt.db, lambda _c: sms, site.clock.now)


def at_provider(fake: FakeTwilio, to: str = PHONE) -> list[str]:
    return [m.sid for m in fake.messages if m.to == to]


def test_a_message_is_sent_once_and_its_receipts_come_back_to_our_webhook(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    mid = queue(site, "hello")

    assert drain(site, sms) == 1
    [created] = fake.messages
    sent = row(site, mid)
    assert (sent.status, sent.provider_id) == (MessageStatus.SENT, created.sid)
    assert created.from_ == FRESHCART_NUMBER and created.body == sent.body
    assert created.body.startswith("FreshCart Grocery: intentamos entregar su paquete hoy pero "
                                   "no pudimos entrar.")
    assert sent.segments == int(created.num_segments) == 3  # Spanish accents: UCS-2

    fake.deliver_all()
    assert row(site, mid).status == MessageStatus.DELIVERED
    assert drain(site, sms) == 0 and len(fake.messages) == 1


def test_an_undeliverable_handset_comes_back_undelivered_with_its_code(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.script(PHONE, "undelivered", 30003)
    mid = queue(site, "off")

    drain(site, sms)
    fake.deliver_all()

    assert (row(site, mid).status, row(site, mid).error_code) == \
        (MessageStatus.UNDELIVERED, "30003")


def test_an_invalid_number_ends_the_message_without_a_retry(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.script(PHONE, "invalid", 21614)
    mid = queue(site, "landline")

    drain(site, sms)
    site.clock.advance(timedelta(hours=3))
    drain(site, sms)

    assert (row(site, mid).status, row(site, mid).error_code) == (MessageStatus.FAILED, "21614")
    assert at_provider(fake) == []


def test_someone_who_texted_stop_to_twilio_is_never_messaged_again(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.opt_out(PHONE, FRESHCART_NUMBER)
    first = queue(site, "first")
    drain(site, sms)
    second = queue(site, "second")
    drain(site, sms)

    assert (row(site, first).status, row(site, first).error_code) == \
        (MessageStatus.FAILED, "21610")
    assert row(site, second).suppressed_reason == "opted_out"
    with site.rt.db.reading() as s:
        assert consent.opted_out(s, Channel.SMS, PHONE, FRESHCART_NUMBER)
    assert at_provider(fake) == []


def test_too_many_requests_is_tried_again_later_and_sent_once(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.fail_next(429)
    mid = queue(site, "busy")

    drain(site, sms)
    assert row(site, mid).status == MessageStatus.QUEUED and at_provider(fake) == []
    site.clock.advance(sender.RETRY_AFTER[0])
    drain(site, sms)

    assert row(site, mid).status == MessageStatus.SENT and len(at_provider(fake)) == 1


@pytest.mark.parametrize("created", [True, False])
def test_a_server_error_is_reconciled_before_any_resend(
        site: Site, fake: FakeTwilio, sms: TwilioSms, created: bool) -> None:
    fake.fail_next(500, created=created)
    mid = queue(site, "unknown")

    drain(site, sms)
    assert row(site, mid).status == MessageStatus.SENDING
    site.clock.advance(sender.STALE_SENDING)
    sender.reconcile(site.rt.db, lambda _c: sms, site.clock.now)
    drain(site, sms)

    assert len(at_provider(fake)) == 1
    assert row(site, mid).status == MessageStatus.SENT
    assert row(site, mid).provider_id == at_provider(fake)[0]


def test_a_timeout_after_twilio_created_the_message_sends_nothing_more(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.stall_next(10.0, created=True)  # the client gives up after 2 s
    mid = queue(site, "slow")

    drain(site, sms)
    fake.release()
    site.clock.advance(sender.STALE_SENDING)
    sender.reconcile(site.rt.db, lambda _c: sms, site.clock.now)
    drain(site, sms)

    assert len(at_provider(fake)) == 1 and row(site, mid).status == MessageStatus.SENT
