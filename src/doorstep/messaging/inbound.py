"""A text that came in: kept once, STOP / START / HELP acted on before anything else.

Twilio itself blocks a number that sends one of its default keywords and answers it; for those
exact words doorstep records the change and adds no reply of its own (the person would get two).
An opt-out in other words ("stop texting me", "no más mensajes") Twilio does not see: doorstep
records it and confirms it once. HELP, in any words, is answered with the operator's contact.
Anything else is kept with what it was understood to say, for the workflows and for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, Direction, MessageStatus
from doorstep.messaging import consent
from doorstep.messaging.replies import classify
from doorstep.messaging.replies.lang import guess
from doorstep.messaging.replies.text import normalize
from doorstep.store.sql import insert_for
from doorstep.store.tables import messages, shippers

# Twilio's default keywords: it blocks (or unblocks) and answers these by itself.
TWILIO_STOP = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
TWILIO_START = {"start", "unstop"}


@dataclass(frozen=True)
class Incoming:
    provider_id: str
    from_: str
    to: str  # our number
    service: str | None  # the messaging service the number belongs to, when there is one
    body: str


@dataclass(frozen=True)
class Handled:
    duplicate: bool
    intent: str
    reply: str | None  # what to answer in the same exchange, if anything


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    email: str | None


def _keyword(body: str) -> str:
    return "".join(ch for ch in body.lower() if ch.isalpha())


def texts(contact: Contact, lang: str) -> dict[str, str]:
    how = " or ".join(x for x in (contact.phone, contact.email) if x) or "your shipper"
    if lang == "es":
        return {"stop": f"{contact.name}: no recibirá más mensajes. Responda START para volver "
                        "a recibirlos.",
                "help": f"{contact.name}: avisos de entrega. Ayuda: {how}. Responda ALTO para no "
                        "recibir más mensajes."}
    return {"stop": f"{contact.name}: you will get no more texts from us. Reply START to opt "
                    "back in.",
            "help": f"{contact.name}: delivery updates. Help: {how}. Reply STOP to opt out."}


def receive(s: Session, msg: Incoming, now: datetime, contact: Contact) -> Handled:
    reply = classify(msg.body[:1600], context="pre_delivery", lang="auto", now=now)
    lang = guess(normalize(msg.body))
    shipper = s.scalar(sa.select(shippers.c.id).where(
        shippers.c.sms_from == msg.to if msg.service is None
        else sa.or_(shippers.c.messaging_service_sid == msg.service,
                    shippers.c.sms_from == msg.to)).limit(1))
    stored = s.execute(insert_for(s)(messages).values(
        id=f"msg_in_{msg.provider_id}"[:128], direction=Direction.INBOUND, channel=Channel.SMS,
        purpose=f"reply.{reply.intent}", created_at=now, status=MessageStatus.RECEIVED,
        status_at=now, dedup_key=f"inbound:twilio:{msg.provider_id}"[:256],
        to_addr=msg.to, from_addr=msg.from_, body=msg.body, language=lang,
        provider_id=msg.provider_id[:64], shipper_id=shipper,
        context={"intent": reply.intent, "slots": dict(reply.slots),
                 "confidence": reply.confidence},
    ).on_conflict_do_nothing(index_elements=["dedup_key"]))
    if not stored.rowcount:  # type: ignore[attr-defined]
        return Handled(duplicate=True, intent=reply.intent, reply=None)
    sender = msg.service or msg.to
    word = _keyword(msg.body)
    if reply.intent == "stop":
        consent.record(s, consent.ConsentChange(Channel.SMS, msg.from_, sender, True, now,
                                                "keyword" if word in TWILIO_STOP else "reply",
                                                msg.body))
        answer = None if word in TWILIO_STOP else texts(contact, lang)["stop"]
        return Handled(duplicate=False, intent="stop", reply=answer)
    if reply.intent == "start":
        consent.record(s, consent.ConsentChange(Channel.SMS, msg.from_, sender, False, now,
                                                "keyword" if word in TWILIO_START else "reply",
                                                msg.body))
        return Handled(duplicate=False, intent="start", reply=None)
    if reply.intent == "help" and not consent.opted_out(s, Channel.SMS, msg.from_, sender):
        return Handled(duplicate=False, intent="help", reply=texts(contact, lang)["help"])
    return Handled(duplicate=False, intent=reply.intent, reply=None)


def thread(s: Session, address: str) -> list[sa.Row[object]]:
    """Every message to or from an address, oldest first (a conversation thread)."""
    return list(s.execute(sa.select(messages).where(
        sa.or_(messages.c.to_addr == address, messages.c.from_addr == address))
        .order_by(messages.c.created_at, messages.c.id)))
