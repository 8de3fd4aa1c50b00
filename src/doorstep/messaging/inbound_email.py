"""An email that came in, as the raw message (RFC 5322 / MIME): what the person wrote, to which
of our addresses, in reply to which of our messages.

Mail reaches doorstep two ways, both ending here: a mail server that pipes each message to
`doorstep mail receive`, or a relay that POSTs the raw message to `/webhooks/email`, signed like
the generic webhook. The quoted conversation below a reply is cut off, so "Saturday works"
is read, not our own question quoted back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, Direction
from doorstep.messaging import addresses, inbound
from doorstep.messaging.inbound import Contact, Handled, Incoming
from doorstep.store.tables import messages, shippers

MAX_TEXT = 5000

# Where the quoted conversation starts, in the mail programs people use (English and Spanish).
QUOTE_STARTS = [
    re.compile(r"^\s*On\b.{0,200}\bwrote:\s*$", re.I | re.S),
    re.compile(r"^\s*El\b.{0,200}\bescribió:\s*$", re.I | re.S),
    re.compile(r"^\s*-{2,}\s*(Original Message|Mensaje original)\s*-{2,}", re.I),
    re.compile(r"^\s*(From|De):\s.+", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*Sent from my \w+", re.I),
    re.compile(r"^\s*Enviado desde mi \w+", re.I),
]


class NotAnEmail(ValueError):
    """The bytes are not a message doorstep can read; the message says why."""


@dataclass(frozen=True)
class Email:
    message_id: str
    from_: str
    to: list[str]
    in_reply_to: list[str]
    subject: str
    text: str  # what they wrote, without the quoted conversation


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("style", "script", "blockquote"):
            self._skip += 1
        elif tag in ("br", "p", "div"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script", "blockquote") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _html_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "".join(parser.parts)


def new_words(text: str) -> str:
    """The reply without the conversation it quotes: lines up to the first quote marker."""
    kept: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    for i, line in enumerate(lines):
        two = line + " " + (lines[i + 1] if i + 1 < len(lines) else "")
        if line.lstrip().startswith(">") or any(p.match(line) for p in QUOTE_STARTS) \
                or QUOTE_STARTS[0].match(two) or QUOTE_STARTS[1].match(two):
            break
        kept.append(line)
    return "\n".join(kept).strip()[:MAX_TEXT]


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def parse(raw: bytes) -> Email:
    if not raw.strip():
        raise NotAnEmail("the message is empty")
    msg = message_from_bytes(raw, policy=policy.default)
    if not isinstance(msg, EmailMessage) or msg["From"] is None:
        raise NotAnEmail("no From header: not an email message")
    sender = parseaddr(str(msg["From"]))[1]
    try:
        sender = addresses.email(sender)
    except addresses.InvalidAddress as err:
        raise NotAnEmail(f"the From address is not valid: {err}") from None
    ours = [a for _, a in getaddresses([str(msg[h]) for h in ("Delivered-To", "X-Original-To",
                                                                "To", "Cc") if msg[h]]) if a]
    if not ours:
        raise NotAnEmail("no To address")
    message_id = (_ids(str(msg["Message-ID"] or "")) or [""])[0]
    if not message_id:
        raise NotAnEmail("no Message-ID header")
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        text = ""
    else:
        content = part.get_content()
        text = content if part.get_content_subtype() == "plain" else _html_text(content)
    return Email(message_id=message_id, from_=sender, to=ours,
                 in_reply_to=_ids(str(msg["In-Reply-To"] or "")) + _ids(
                     str(msg["References"] or "")),
                 subject=str(msg["Subject"] or ""), text=new_words(text))


def incoming(mail: Email, to: str) -> Incoming:
    """As an incoming message to our address `to` (the one of its recipients that is ours)."""
    return Incoming(provider_id=mail.message_id, from_=mail.from_, to=to, service=None,
                    body=mail.text, channel=Channel.EMAIL, source="email",
                    in_reply_to=tuple(mail.in_reply_to))


def ours_of(s: Session, mail: Email) -> str:
    """Which of the message's recipients is ours: a shipper's sending address, else the
    address of our message it replies to, else the first one it was sent to."""
    written_to = {a.lower() for a in mail.to}
    for sender in s.scalars(sa.select(shippers.c.email_from).where(
            shippers.c.email_from.is_not(None))):
        if parseaddr(sender)[1].lower() in written_to:
            return str(sender)  # as the shipper's messages are sent: "Name <address>"
    if mail.in_reply_to:
        asked_from = s.scalar(sa.select(messages.c.from_addr).where(
            messages.c.provider_id.in_(mail.in_reply_to[:20]),
            messages.c.direction == Direction.OUTBOUND).limit(1))
        if asked_from:
            return str(asked_from)
    return mail.to[0]


def receive(s: Session, raw: bytes, now: datetime, contact: Contact) -> Handled:
    """Read and keep one raw email, as `inbound.receive` does a text; answers to STOP and
    HELP are queued. Raises NotAnEmail for bytes that are not one."""
    mail = parse(raw)
    msg = incoming(mail, ours_of(s, mail))
    handled = inbound.receive(s, msg, now, contact)
    if not handled.duplicate:
        inbound.queue_answer(s, handled, msg, now)
    return handled
