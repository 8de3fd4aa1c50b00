"""A text that came in: kept once, STOP / START / HELP acted on before anything else.

Twilio itself blocks a number that sends one of its default keywords and answers it; for those
exact words doorstep records the change and adds no reply of its own (the person would get two).
An opt-out in other words ("stop texting me", "no más mensajes") Twilio does not see: doorstep
records it and confirms it once. HELP, in any words, is answered with the operator's contact.
Anything else is kept with what it was understood to say, for the workflows and for a person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, ConversationStatus, Direction, MessageStatus
from doorstep.messaging import consent, conversations
from doorstep.messaging.replies import classify
from doorstep.messaging.replies.lang import guess
from doorstep.messaging.replies.text import normalize
from doorstep.messaging.replies.wismo import asks_where
from doorstep.store.sql import insert_for, inserted
from doorstep.store.tables import (
    deliveries,
    drivers,
    markets,
    messages,
    recipients,
    shippers,
)

# Twilio's default keywords: it blocks (or unblocks) and answers these by itself.
TWILIO_STOP = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit"}
TWILIO_START = {"start", "unstop"}


@dataclass(frozen=True)
class Incoming:
    provider_id: str
    from_: str
    to: str  # our number or address
    service: str | None  # the messaging service the number belongs to, when there is one
    body: str
    channel: Channel = Channel.SMS
    source: str = "twilio"  # who handed it to us: the dedup key is (source, provider_id)
    in_reply_to: tuple[str, ...] = ()  # provider ids of our messages it answers (email headers)


@dataclass(frozen=True)
class Handled:
    duplicate: bool
    intent: str
    reply: str | None  # what to answer in the same exchange, if anything
    message_id: str | None = None
    events: list[int] = field(default_factory=list)  # stored for the workflows: queue them


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


def _message_id(msg: Incoming) -> str:
    if msg.source == "twilio" and len(msg.provider_id) <= 64:
        return f"msg_in_{msg.provider_id}"
    return "msg_in_" + hashlib.sha256(f"{msg.source}:{msg.provider_id}".encode()).hexdigest()[:40]


def _people(s: Session, msg: Incoming) -> tuple[str | None, str | None]:
    """The recipient and the driver who write from this number or address, where known."""
    field_ = "phone" if msg.channel is Channel.SMS else "email"
    known = {msg.from_, conversations.normalized(msg.channel, msg.from_)}
    recipient = s.scalar(sa.select(recipients.c.id).where(recipients.c[field_].in_(known))
                         .limit(1))
    driver = s.scalar(sa.select(drivers.c.id).where(drivers.c[field_].in_(known)).limit(1))
    return recipient, driver


def _latest_market(s: Session, recipient: str | None) -> str | None:
    """The market of the sender's latest delivery (by service date, then status time)."""
    if recipient is None:
        return None
    return s.scalar(sa.select(deliveries.c.market_id)
                    .where(deliveries.c.recipient_id == recipient)
                    .order_by(deliveries.c.service_date.desc(),
                              deliveries.c.status_at.desc().nulls_last(), deliveries.c.id.desc())
                    .limit(1))


def _timezone(s: Session, q: conversations.Question | None) -> str | None:
    if q is None or q.subject_type != "delivery":
        return None
    return s.scalar(sa.select(markets.c.timezone).join(
        deliveries, deliveries.c.market_id == markets.c.id).where(deliveries.c.id == q.subject_id))


def receive(s: Session, msg: Incoming, now: datetime, contact: Contact) -> Handled:
    """Keep an incoming message once; act on STOP / START / HELP before anything else; then
    read it as the answer to the open question it replies to, or hand it to a person."""
    ours = [x for x in (msg.to, msg.service) if x]
    question = (conversations.asked_in(s, msg.in_reply_to, msg.from_, now)
                or conversations.match(s, msg.channel, msg.from_, ours, now))
    reply = classify(msg.body[:1600], context=question.question if question else "pre_delivery",
                     lang="auto", now=now, tz=_timezone(s, question))
    lang = guess(normalize(msg.body))
    shipper = s.scalar(sa.select(shippers.c.id).where(
        (shippers.c.sms_from == msg.to if msg.service is None
         else sa.or_(shippers.c.messaging_service_sid == msg.service,
                     shippers.c.sms_from == msg.to))
        if msg.channel is Channel.SMS else shippers.c.email_from == msg.to).limit(1))
    recipient, driver = _people(s, msg)
    message_id = _message_id(msg)
    stored = inserted(s, insert_for(s)(messages).values(
        id=message_id, direction=Direction.INBOUND, channel=msg.channel,
        purpose=f"reply.{reply.intent}", created_at=now, status=MessageStatus.RECEIVED,
        status_at=now, dedup_key=f"inbound:{msg.source}:{msg.provider_id}"[:256],
        to_addr=msg.to, from_addr=msg.from_, body=msg.body, language=lang,
        provider_id=msg.provider_id[:320], shipper_id=shipper, recipient_id=recipient,
        market_id=_latest_market(s, recipient), driver_id=driver,
        conversation_id=question.id if question else None,
        subject_type=question.subject_type if question else None,
        subject_id=question.subject_id if question else None,
        context={"intent": reply.intent, "slots": dict(reply.slots),
                 "confidence": reply.confidence, "service": msg.service,
                 "wismo": asks_where(msg.body)},
    ).on_conflict_do_nothing(index_elements=["dedup_key"]), messages.c.id)
    if not stored:
        return Handled(duplicate=True, intent=reply.intent, reply=None)
    sender = msg.service or msg.to
    word = _keyword(msg.body)
    handled = Handled(duplicate=False, intent=reply.intent, reply=None, message_id=message_id)
    if reply.intent == "stop":
        twilio_saw_it = msg.channel is Channel.SMS and word in TWILIO_STOP
        consent.record(s, consent.ConsentChange(msg.channel, msg.from_, sender, True, now,
                                                "keyword" if twilio_saw_it else "reply",
                                                msg.body))
        if question is not None:
            conversations.close(s, question.id, ConversationStatus.EXPIRED)
        answer = None if twilio_saw_it else texts(contact, lang)["stop"]
        return replace(handled, reply=answer)
    if reply.intent == "start":
        twilio_saw_it = msg.channel is Channel.SMS and word in TWILIO_START
        consent.record(s, consent.ConsentChange(msg.channel, msg.from_, sender, False, now,
                                                "keyword" if twilio_saw_it else "reply",
                                                msg.body))
        return handled
    if reply.intent == "help":
        if consent.opted_out(s, msg.channel, msg.from_, sender):
            return handled
        return replace(handled, reply=texts(contact, lang)["help"])
    if question is not None and conversations.understood(reply.intent, reply.confidence):
        event = conversations.answered(s, question, message_id=message_id, intent=reply.intent,
                                       slots=dict(reply.slots), text=msg.body, now=now)
        return replace(handled, events=[event] if event is not None else [])
    conversations.hand_over(s, message_id, question, now)
    return handled


def queue_answer(s: Session, handled: Handled, msg: Incoming, now: datetime,
                 event_id: int | None = None) -> None:
    """Where no provider waits for an answer in the same exchange (an email, a text through
    the generic webhook), the answer to STOP or HELP goes by the outbox."""
    from doorstep.events.outbox import queue_message
    from doorstep.workflows.actions import Audience, QueueMessage

    if handled.reply is None or handled.message_id is None:
        return
    queue_message(s, QueueMessage(
        purpose=f"reply.{handled.intent}", channel=msg.channel, audience=Audience.RECIPIENT,
        dedup_key=f"answer:{handled.message_id}", subject_type="message",
        subject_id=handled.message_id, to_addr=msg.from_, template="answer",
        context={"urgent": True}, from_addr=msg.to, body=handled.reply), now, event_id=event_id)


def thread(s: Session, address: str) -> list[sa.Row[object]]:
    """Every message to or from an address, oldest first (a conversation thread)."""
    return list(s.execute(sa.select(messages).where(
        sa.or_(messages.c.to_addr == address, messages.c.from_addr == address))
        .order_by(messages.c.created_at, messages.c.id)))
