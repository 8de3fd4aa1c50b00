"""Conversations: an outbound message that asks something opens one; the reply that comes back
from that address to that sender is read as the answer to it.

A reply is matched to the newest open question sent to its address from the number (or email
address) it was sent to, so two shippers asking the same person each get their own answer. An
understood answer becomes a `reply.understood` event for the workflows; a reply nothing could
read (or a question back to us) waits in the Needs a person inbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, ConversationStatus, Direction, EventType
from doorstep.messaging import addresses
from doorstep.store import event_log
from doorstep.store.tables import conversations, messages

OPEN_FOR = timedelta(days=3)  # a question older than this is not what a reply answers
UNDERSTOOD_AT = 0.6  # below this confidence a person reads the reply
NEEDS_PERSON = frozenset({"other", "question"})


@dataclass(frozen=True)
class Question:
    id: str
    question: str  # a reply context: redelivery_offer, driver_confirm …
    subject_type: str
    subject_id: str
    message_id: str | None  # the outbound message that asked it


def normalized(channel: Channel, address: str) -> str:
    """The form replies arrive from, so that a question and its answer meet."""
    try:
        return addresses.e164(address) if channel is Channel.SMS else addresses.email(address)
    except addresses.InvalidAddress:
        return address


def open_question(s: Session, *, channel: Channel, address: str, question: str,
                  subject_type: str, subject_id: str, now: datetime,
                  open_for: timedelta = OPEN_FOR) -> str:
    """A new open conversation; its id goes on the message that asks the question."""
    cid = f"conv_{uuid.uuid4().hex}"
    s.execute(conversations.insert().values(
        id=cid, channel=channel, address=normalized(channel, address), question=question,
        subject_type=subject_type, subject_id=subject_id, opened_at=now,
        expires_at=now + open_for, status=ConversationStatus.OPEN))
    return cid


def close(s: Session, conversation_id: str | None, status: ConversationStatus) -> None:
    if conversation_id:
        s.execute(conversations.update().where(conversations.c.id == conversation_id,
                                               conversations.c.status == ConversationStatus.OPEN)
                  .values(status=status))


def match(s: Session, channel: Channel, from_addr: str, senders: list[str],
          now: datetime) -> Question | None:
    """The open question this reply answers: asked of `from_addr` by one of `senders` (the
    number, service or address the reply was sent to), the newest first."""
    asked = (sa.select(conversations.c.id, conversations.c.question,
                       conversations.c.subject_type, conversations.c.subject_id,
                       messages.c.id.label("message_id"))
             .join(messages, messages.c.conversation_id == conversations.c.id)
             .where(conversations.c.channel == channel,
                    conversations.c.address == normalized(channel, from_addr),
                    conversations.c.status == ConversationStatus.OPEN,
                    sa.or_(conversations.c.expires_at.is_(None),
                           conversations.c.expires_at > now),
                    messages.c.direction == Direction.OUTBOUND,
                    messages.c.from_addr.in_(senders))
             .order_by(conversations.c.opened_at.desc(), conversations.c.id.desc()).limit(1))
    row = s.execute(asked).first()
    if row is None:
        return None
    return Question(row.id, row.question, row.subject_type, row.subject_id, row.message_id)


def asked_in(s: Session, provider_ids: tuple[str, ...], from_addr: str,
             now: datetime) -> Question | None:
    """The open question asked by the email this one replies to (its In-Reply-To or
    References), when it was asked of this address."""
    if not provider_ids:
        return None
    row = s.execute(
        sa.select(conversations.c.id, conversations.c.question, conversations.c.subject_type,
                  conversations.c.subject_id, messages.c.id.label("message_id"))
        .join(messages, messages.c.conversation_id == conversations.c.id)
        .where(messages.c.provider_id.in_(provider_ids[:20]),
               messages.c.direction == Direction.OUTBOUND,
               conversations.c.address == normalized(Channel.EMAIL, from_addr),
               conversations.c.status == ConversationStatus.OPEN,
               sa.or_(conversations.c.expires_at.is_(None), conversations.c.expires_at > now))
        .order_by(conversations.c.opened_at.desc()).limit(1)).first()
    if row is None:
        return None
    return Question(row.id, row.question, row.subject_type, row.subject_id, row.message_id)


def understood(intent: str, confidence: float) -> bool:
    return intent not in NEEDS_PERSON and confidence >= UNDERSTOOD_AT


def answered(s: Session, q: Question, *, message_id: str, intent: str,
             slots: dict[str, Any], text: str, now: datetime) -> int | None:
    """Close the question and store the answer as an event for the workflows; the event's id
    (None if this reply was stored before), to be queued once the transaction commits."""
    close(s, q.id, ConversationStatus.ANSWERED)
    ids = event_log.insert_new(s, [{
        "source": "doorstep", "external_id": f"reply:{message_id}",
        "type": EventType.REPLY_UNDERSTOOD.value, "occurred_at": now, "received_at": now,
        "subject": f"{q.subject_type}:{q.subject_id}",
        "payload": {"message_id": message_id, "conversation_id": q.id,
                    "question": q.question, "subject_type": q.subject_type,
                    "subject_id": q.subject_id, "intent": intent, "slots": slots,
                    "text": text[:2000]},
    }])
    return ids[0] if ids else None


def hand_over(s: Session, message_id: str, q: Question | None, now: datetime) -> None:
    """A person reads this one: it waits in the Needs a person inbox."""
    if q is not None:
        close(s, q.id, ConversationStatus.HANDED_OVER)
    s.execute(messages.update().where(messages.c.id == message_id)
              .values(needs_person_at=now))
