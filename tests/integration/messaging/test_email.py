"""Email through a real SMTP server (aiosmtpd): text and HTML parts, the shipper's sender and
brand, and what a refusing or absent server leads to."""

from __future__ import annotations

import email
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import Message
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from doorstep.domain import Channel, MessageStatus
from doorstep.events.outbox import queue_message
from doorstep.messaging import sender
from doorstep.messaging.channels.smtp_email import SmtpEmail
from doorstep.runtime import Runtime
from doorstep.store.tables import messages
from doorstep.workflows.actions import Audience, QueueMessage
from tests.integration.http.processes import free_port


@dataclass
class Mailbox:
    received: list[Message] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(email.message_from_bytes(envelope.content))
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def queue(rt: Runtime, key: str, to: str, language: str = "en") -> str:
    action = QueueMessage(purpose="recover.reach_out", channel=Channel.EMAIL,
                          audience=Audience.RECIPIENT, dedup_key=key, subject_type="delivery",
                          subject_id="D1", to_addr=to, template="failed_attempt",
                          context={"reason": "refused", "attempt": 1}, language=language,
                          shipper_id="homenest", market_id="nyc")
    with rt.db.transaction() as s:
        queue_message(s, action, rt.clock.now())
        return str(s.scalar(sa.select(messages.c.id).where(messages.c.dedup_key == key)))


def status(rt: Runtime, mid: str) -> tuple[str, str | None, str | None]:
    with rt.db.reading() as s:
        r = s.execute(sa.select(messages).where(messages.c.id == mid)).one()
    return str(getattr(r.status, "value", r.status)), r.suppressed_reason, r.error_code


def drain(rt: Runtime, channel: SmtpEmail) -> int:
    return sender.send_due(rt.db, lambda _c: channel, rt.clock.now)


def test_an_email_goes_out_with_text_and_html_in_the_shippers_brand(
        runtime: Runtime, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    mid = queue(runtime, "mail", "Robin.Recipient@Example.com", language="es")

    assert drain(runtime, SmtpEmail("127.0.0.1", port, starttls=False)) == 1

    [got] = box.received
    assert box.envelopes == [("delivery@homenest.example", ["Robin.Recipient@example.com"])]
    assert got["From"] == "HomeNest <delivery@homenest.example>"
    assert got["Subject"] == "HomeNest Furniture: no pudimos entregar su paquete hoy"
    text, html = (part.get_payload(decode=True).decode() for part in got.walk()
                  if part.get_content_type() in ("text/plain", "text/html"))
    assert text.startswith("HomeNest Furniture: intentamos entregar su paquete hoy pero fue "
                           "rechazado.")
    assert "#BF360C" in html and "<p>HomeNest Furniture: intentamos" in html
    assert status(runtime, mid) == ("sent", None, None)


def test_a_bad_address_is_suppressed_and_a_refused_mailbox_ends_the_message(
        runtime: Runtime, smtp: tuple[Mailbox, int]) -> None:
    box, port = smtp
    box.refuse.add("gone@example.com")
    bad = queue(runtime, "bad", "not an address")
    refused = queue(runtime, "refused", "gone@example.com")

    drain(runtime, SmtpEmail("127.0.0.1", port, starttls=False))

    assert status(runtime, bad) == ("suppressed", "invalid_number", None)
    assert status(runtime, refused) == ("failed", None, "recipient_refused")
    assert box.received == []


def test_a_server_that_is_down_is_tried_again_later(runtime: Runtime) -> None:
    mid = queue(runtime, "later", "robin@example.com")

    drain(runtime, SmtpEmail("127.0.0.1", free_port(), starttls=False, timeout=2))

    row_status, _, code = status(runtime, mid)
    assert (row_status, code) == (MessageStatus.QUEUED.value, "connect")
