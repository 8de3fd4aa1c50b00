"""Texts coming in through the fake Twilio to /webhooks/twilio/sms: STOP first, in any words."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from doorstep.domain import Channel, Direction
from doorstep.messaging import consent
from doorstep.sim.fakes.twilio import FakeTwilio
from doorstep.store.tables import consent_changes, messages
from tests.integration.web.conftest import Site

PHONE = "+12125550147"
FRESHCART = "+12125550110"
HOMENEST = "+16025550112"


def opted_out(site: Site, sender: str = FRESHCART) -> bool:
    with site.rt.db.reading() as s:
        return consent.opted_out(s, Channel.SMS, PHONE, sender)


def changes(site: Site) -> list[tuple[bool, str]]:
    with site.rt.db.reading() as s:
        return [(r.opted_out, r.source) for r in s.execute(
            sa.select(consent_changes).order_by(consent_changes.c.id))]


def inbound(site: Site) -> list[sa.Row]:
    with site.rt.db.reading() as s:
        return list(s.execute(sa.select(messages).where(
            messages.c.direction == Direction.INBOUND)))


@pytest.mark.parametrize("body", ["Stop texting me!!", "take me off your list please",
                                  "no más mensajes por favor", "  please STOP  "])
def test_an_opt_out_in_any_words_is_recorded_and_confirmed_once(
        site: Site, fake: FakeTwilio, body: str) -> None:
    result = fake.send_inbound(PHONE, FRESHCART, body)

    assert result.status_code == 200 and opted_out(site)
    assert not opted_out(site, HOMENEST)  # that sender was not told
    assert changes(site) == [(True, "reply")]
    assert result.twiml is not None and "<Message>" in result.twiml
    assert "START" in result.twiml


def test_a_twilio_keyword_is_recorded_and_left_to_twilio_to_answer(
        site: Site, fake: FakeTwilio) -> None:
    result = fake.send_inbound(PHONE, FRESHCART, "STOP")

    assert opted_out(site) and fake.is_opted_out(PHONE, FRESHCART)
    assert changes(site) == [(True, "keyword")]
    assert result.twiml is not None and "<Message>" not in result.twiml
    assert len(result.replies) == 1  # Twilio's own confirmation, not a second one of ours

    fake.send_inbound(PHONE, FRESHCART, "start")
    assert not opted_out(site) and changes(site)[-1] == (False, "keyword")


@pytest.mark.parametrize("body", ["please stop by after 5", "stop at the back door",
                                  "don't stop, I need this package", "yes"])
def test_look_alikes_are_not_opt_outs(site: Site, fake: FakeTwilio, body: str) -> None:
    fake.send_inbound(PHONE, FRESHCART, body)

    assert not opted_out(site) and changes(site) == []
    [kept] = inbound(site)
    assert kept.body == body and kept.purpose != "reply.stop"


def test_help_in_spanish_is_answered_in_spanish_with_the_operators_contact(
        site: Site, fake: FakeTwilio) -> None:
    result = fake.send_inbound(PHONE, FRESHCART, "AYUDA")

    assert result.twiml is not None and "Ayuda: +12125550100 or support@brightline.example" \
        in result.twiml
    assert changes(site) == []


def test_a_text_delivered_twice_is_kept_once(site: Site, fake: FakeTwilio) -> None:
    first = fake.send_inbound(PHONE, FRESHCART, "leave it with the doorman")
    posted = fake.deliveries[-1]  # Twilio retries a webhook it got no answer to: the same POST
    signature = {k.lower(): v for k, v in posted.headers.items()}["x-twilio-signature"]
    again = site.client().post("/webhooks/twilio/sms", content=urlencode(posted.params),
                               headers={"Content-Type": "application/x-www-form-urlencoded",
                                        "X-Twilio-Signature": signature})

    assert again.status_code == 200
    assert [m.body for m in inbound(site)] == ["leave it with the doorman"]
    assert first.message.sid == inbound(site)[0].provider_id


def test_an_unsigned_text_is_refused_and_nothing_is_kept(site: Site) -> None:
    answer = site.client().post("/webhooks/twilio/sms", data={
        "MessageSid": "SM" + "c" * 32, "From": PHONE, "To": FRESHCART, "Body": "STOP"})

    assert answer.status_code == 401
    assert inbound(site) == [] and changes(site) == []
