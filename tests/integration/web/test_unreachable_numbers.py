"""A number that cannot receive is marked on the recipient: the message says why in the
dashboard, and nothing more is queued for or sent to that number."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from doorstep.domain import MessageStatus
from doorstep.domain.access import Role
from doorstep.messaging import sender
from doorstep.messaging.channels.twilio_sms import TwilioSms
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.tables import deliveries, messages, recipients
from tests import factories as ev
from tests.factories import PHONE
from tests.integration.web.conftest import Site


def fail(site: Site, delivery_id: str, phone: str = PHONE) -> None:
    """A delivery for the recipient at `phone`, failed at once."""
    at = site.clock.now()
    site.feed([ev.delivery_created(f"c-{delivery_id}", at, delivery_id, phone=phone),
               ev.failed(f"f-{delivery_id}", at + timedelta(minutes=1), delivery_id)])


def reach_outs(site: Site) -> list[sa.Row]:
    with site.rt.db.reading() as s:
        return list(s.execute(sa.select(messages).where(messages.c.purpose
                                                        == "recover.reach_out")
                              .order_by(messages.c.created_at)))


def invalid_since(site: Site, delivery_id: str) -> object:
    with site.rt.db.reading() as s:
        return s.scalar(sa.select(recipients.c.phone_invalid_at).join(
            deliveries, deliveries.c.recipient_id == recipients.c.id)
            .where(deliveries.c.id == delivery_id))


def drain(site: Site, sms: TwilioSms) -> None:
    site.clock.advance(timedelta(hours=3))  # past the quiet hours of the 06:00 start
    sender.send_due(site.rt.db, lambda _c: sms, site.clock.now)


def test_a_number_twilio_refuses_as_not_mobile_is_never_texted_again(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.script(PHONE, "invalid", 21614)
    fail(site, "D-1")
    drain(site, sms)

    [first] = reach_outs(site)
    assert (first.status, first.error_code) == (MessageStatus.FAILED, "21614")
    assert invalid_since(site, "D-1") is not None

    fail(site, "D-2")  # the same person, another parcel
    drain(site, sms)
    assert len(reach_outs(site)) == 1  # nothing more is queued for that number
    assert [m for m in fake.messages if m.to == PHONE] == []


def test_a_number_that_cannot_exist_is_suppressed_with_the_reason_shown(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fail(site, "D-9", phone="+15551234567")
    drain(site, sms)

    [message] = reach_outs(site)
    assert (message.status, message.suppressed_reason) == (MessageStatus.SUPPRESSED,
                                                           "invalid_number")
    assert invalid_since(site, "D-9") is not None and fake.messages == []
    page = site.as_role(Role.DISPATCHER).get(f"/messages/{message.id}")
    assert page.status_code == 200
    assert "invalid number: not a number or address that can receive" in page.text


def test_a_carrier_saying_landline_after_sending_marks_the_number(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.script(PHONE, "undelivered", 30006)
    fail(site, "D-1")
    drain(site, sms)
    fake.deliver_all()

    [message] = reach_outs(site)
    assert (message.status, message.error_code) == (MessageStatus.UNDELIVERED, "30006")
    assert invalid_since(site, "D-1") is not None


def test_a_handset_that_was_off_is_not_marked(
        site: Site, fake: FakeTwilio, sms: TwilioSms) -> None:
    fake.script(PHONE, "undelivered", 30003)
    fail(site, "D-1")
    drain(site, sms)
    fake.deliver_all()

    assert reach_outs(site)[0].error_code == "30003"
    assert invalid_since(site, "D-1") is None
