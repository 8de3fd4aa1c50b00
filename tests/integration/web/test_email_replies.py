"""Email replies: a question sent through a real SMTP server (aiosmtpd), the recipient's reply
posted raw to /webhooks/email (signed) or piped to `doorstep mail receive`, read as the answer
to that question with the quoted conversation cut off."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
import sqlalchemy as sa

from doorstep import signing
from doorstep.domain import Channel, Direction, DispositionKind, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.messaging import consent, sender
from doorstep.messaging.channels.smtp_email import SmtpEmail
from doorstep.messaging.inbound_email import new_words
from doorstep.runtime import generic_webhook_secret
from doorstep.store.tables import dispositions, messages
from doorstep.workflows.actions import Audience, QueueMessage
from tests import factories as ev
from tests.integration.messaging.test_email import Mailbox, smtp  # noqa: F401 - the fixture
from tests.integration.web.conftest import Site

BEA = "bea@example.com"
HOMENEST = "delivery@homenest.example"


@pytest.fixture
def asked(site: Site, smtp: tuple[Mailbox, int]) -> EmailMessage:  # noqa: F811
    """homenest's D-B1 failed; a redelivery question went to Bea by email. What she got."""
    box, port = smtp
    site.feed([ev.delivery_created("cb1", site.clock.now(), "D-B1", shipper="homenest",
                                   phone=None, name="Bea Other", line1="9 Other Ave")])
    with site.rt.db.transaction() as s:
        queue_message(s, QueueMessage(
            purpose="recover.reach_out", channel=Channel.EMAIL, audience=Audience.RECIPIENT,
            dedup_key="ask-bea", subject_type="delivery", subject_id="D-B1", to_addr=BEA,
            template="failed_attempt", context={"reason": "access", "attempt": 1},
            shipper_id="homenest", market_id="nyc", question="redelivery_offer"),
            site.clock.now())
    site.clock.advance(timedelta(hours=3))
    channel = SmtpEmail("127.0.0.1", port, starttls=False, timeout=5)
    assert sender.send_due(site.rt.db, lambda _c: channel, site.clock.now) == 1
    [got] = box.received
    return got  # type: ignore[return-value]


def reply_to(original: EmailMessage, text: str, *, threaded: bool = True) -> bytes:
    """Bea's answer as her mail program writes it: her words over the quoted question."""
    r = EmailMessage()
    r["From"] = f"Bea Other <{BEA}>"
    r["To"] = str(original["From"])
    r["Subject"] = "Re: " + str(original["Subject"])
    r["Message-ID"] = make_msgid(domain="mail.example.com")
    if threaded:
        r["In-Reply-To"] = str(original["Message-ID"])
        r["References"] = str(original["Message-ID"])
    quoted = "\n".join("> " + line for line in str(original.get_payload(0).get_payload())
                       .splitlines()[:3]) if original.is_multipart() else "> ..."
    r.set_content(f"{text}\n\nOn Tue, Nov 24, 2026 at 9:00 AM HomeNest <{HOMENEST}> wrote:\n"
                  f"{quoted}\n")
    return bytes(r)


def post(site: Site, raw: bytes, *, secret: str | None = None) -> tuple[int, dict]:
    key = secret or generic_webhook_secret(site.rt.settings)
    headers = signing.sign(key, f"msg_{uuid.uuid4().hex}", raw, site.clock.now())
    answer = site.client().post("/webhooks/email", content=raw,
                                headers={**headers, "Content-Type": "message/rfc822"})
    return answer.status_code, (answer.json() if answer.content else {})


def decided(site: Site) -> list[tuple[str, date | None]]:
    with site.rt.db.reading() as s:
        return [(r.kind, r.redelivery_date) for r in s.execute(
            sa.select(dispositions).where(dispositions.c.delivery_id == "D-B1"))]


def inbound(site: Site) -> list[sa.Row]:
    with site.rt.db.reading() as s:
        return list(s.execute(sa.select(messages).where(
            messages.c.direction == Direction.INBOUND, messages.c.channel == Channel.EMAIL)))


def test_an_emailed_day_answers_the_question_it_replies_to(
        site: Site, asked: EmailMessage) -> None:
    status, body = post(site, reply_to(asked, "Saturday works for me, thanks!"))

    assert status == 200 and body == {"duplicate": False, "intent": "date_time"}
    [kept] = inbound(site)
    assert kept.body == "Saturday works for me, thanks!"  # the quoted question is cut off
    assert kept.subject_id == "D-B1" and kept.needs_person_at is None
    assert decided(site) == [(DispositionKind.REDELIVER, date(2026, 11, 28))]


def test_the_same_email_twice_is_kept_once(site: Site, asked: EmailMessage) -> None:
    raw = reply_to(asked, "friday")
    first = post(site, raw)
    status, body = post(site, raw)

    assert first == (200, {"duplicate": False, "intent": "date_time"})

    assert status == 200 and body["duplicate"] is True
    assert len(inbound(site)) == 1 and len(decided(site)) == 1


def test_an_unthreaded_reply_to_the_shippers_address_still_finds_the_question(
        site: Site, asked: EmailMessage) -> None:
    post(site, reply_to(asked, "next monday", threaded=False))

    assert decided(site) == [(DispositionKind.REDELIVER, date(2026, 11, 30))]


def test_unsubscribe_by_email_stops_email_from_that_shipper_and_is_confirmed(
        site: Site, asked: EmailMessage, smtp: tuple[Mailbox, int]) -> None:  # noqa: F811
    status, body = post(site, reply_to(asked, "Please unsubscribe me"))

    assert status == 200 and body["intent"] == "stop"
    with site.rt.db.reading() as s:
        assert consent.opted_out(s, Channel.EMAIL, BEA, f"HomeNest <{HOMENEST}>")
        confirmation = s.execute(sa.select(messages).where(
            messages.c.purpose == "reply.stop",
            messages.c.direction == Direction.OUTBOUND)).one()
    assert confirmation.to_addr == BEA and confirmation.channel == Channel.EMAIL
    box, port = smtp
    sender.send_due(site.rt.db, lambda _c: SmtpEmail("127.0.0.1", port, starttls=False, timeout=5),
                    site.clock.now)
    assert len(box.received) == 2  # the question, then the one confirmation
    with site.rt.db.reading() as s:
        assert s.scalar(sa.select(messages.c.status).where(
            messages.c.id == confirmation.id)) == MessageStatus.SENT


def test_unsigned_or_not_an_email_changes_nothing(site: Site, asked: EmailMessage) -> None:
    raw = reply_to(asked, "saturday")
    unsigned = site.client().post("/webhooks/email", content=raw,
                                  headers={"Content-Type": "message/rfc822"})
    wrong, _ = post(site, raw, secret="whsec_" + "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldCEhISE=")
    garbage, _ = post(site, b"this is not an email at all")

    assert (unsigned.status_code, wrong, garbage) == (401, 401, 422)
    assert inbound(site) == [] and decided(site) == []


@pytest.mark.parametrize(("written", "kept"), [
    ("Yes please\n\nOn Mon, Nov 23, 2026, HomeNest <d@h.example> wrote:\n> We missed you",
     "Yes please"),
    ("Sí, el sábado\n\nEl lun, 23 nov 2026 a las 9:00, HomeNest escribió:\n> No pudimos",
     "Sí, el sábado"),
    ("Leave it with the doorman\n\n-----Original Message-----\nFrom: HomeNest\n",
     "Leave it with the doorman"),
    ("Gate code 1234\n\nSent from my iPhone", "Gate code 1234"),
    ("On second thought, tuesday\n> quoted", "On second thought, tuesday"),
])
def test_the_quoted_conversation_is_cut_off(written: str, kept: str) -> None:
    assert new_words(written) == kept
