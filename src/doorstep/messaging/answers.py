"""A dispatcher's answer to a message that waits in the Needs a person inbox.

The answer is an outbox row like any other — consent and the sender's rate still apply — sent
from the number or address the person wrote to, so it lands in the same thread on their phone.
The form carries a nonce: a double click or a resubmitted form queues one answer, not two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, Direction
from doorstep.events.outbox import queue_message
from doorstep.store.tables import messages
from doorstep.workflows.actions import Audience, QueueMessage

MAX_ANSWER = 1600  # Twilio's limit for one message body


class AnswerRefused(ValueError):
    """The answer cannot be sent as written; the message says why."""


@dataclass(frozen=True)
class Answered:
    queued: bool  # False when this form was submitted before
    address: str  # whose thread it belongs to


def _waiting(s: Session, message_id: str) -> Any:
    row = s.execute(sa.select(messages).where(messages.c.id == message_id,
                                              messages.c.direction == Direction.INBOUND)
                    ).first()
    if row is None:
        raise LookupError(message_id)
    return row


def answer(s: Session, message_id: str, text: str, *, by: str, nonce: str,
           now: datetime) -> Answered:
    words = text.strip()
    if not words:
        raise AnswerRefused("the answer is empty")
    if len(words) > MAX_ANSWER:
        raise AnswerRefused(f"the answer is {len(words)} characters; at most {MAX_ANSWER}")
    if not nonce or len(nonce) > 64:
        raise AnswerRefused("the form is missing its nonce; reload the page")
    m = _waiting(s, message_id)
    sender = (m.context or {}).get("service") or m.to_addr
    queued = queue_message(s, QueueMessage(
        purpose="dispatcher.answer", channel=Channel(m.channel),
        audience=Audience.DRIVER if m.driver_id else Audience.RECIPIENT,
        dedup_key=f"dispatcher.answer:{message_id}:{nonce}",
        subject_type=m.subject_type or "message", subject_id=m.subject_id or message_id,
        to_addr=m.from_addr, template="answer",
        context={"urgent": True, "in_reply_to": message_id, "by": by},
        language=m.language, shipper_id=m.shipper_id, recipient_id=m.recipient_id,
        driver_id=m.driver_id, from_addr=sender, body=words), now)
    settle(s, message_id, by=by, now=now)
    return Answered(queued=queued, address=str(m.from_addr))


def settle(s: Session, message_id: str, *, by: str, now: datetime) -> str:
    """Take a message out of the inbox (answered, or set aside); the address of its thread."""
    row = _waiting(s, message_id)
    s.execute(messages.update().where(messages.c.id == message_id,
                                      messages.c.settled_at.is_(None))
              .values(settled_at=now, settled_by=by[:320]))
    return str(row.from_addr)
