"""Applying a decision's actions: outbox rows and gaps, in the decision's own transaction."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from doorstep.domain import Direction, Event, Gap, GapStatus, MessageStatus
from doorstep.messaging import conversations
from doorstep.store.sql import insert_for, inserted
from doorstep.store.tables import messages
from doorstep.workflows.actions import Action, OpenGap, QueueMessage


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def apply_actions(session: Session, actions: Iterable[Action], event: Event,
                  now: datetime) -> None:
    for action in actions:
        if isinstance(action, QueueMessage):
            queue_message(session, action, now, event_id=event.id)
        elif isinstance(action, OpenGap) and session.get(Gap, gap_id(action.shift_id)) is None:
            session.add(Gap(id=gap_id(action.shift_id), shift_id=action.shift_id,
                            opened_at=now, status=GapStatus.OPEN))


def gap_id(shift_id: str) -> str:
    """One gap per shift, named from it, and short enough whatever the shift's id."""
    return "gap_" + hashlib.sha256(shift_id.encode()).hexdigest()[:32]


def queue_message(session: Session, action: QueueMessage, now: datetime,
                  event_id: int | None = None) -> bool:
    """Write the outbox row unless one with the same dedup key exists; True if written.
    A message that asks a question opens the conversation its answer will come back to."""
    insert = insert_for(session)
    row = {
        "id": new_id("msg"), "direction": Direction.OUTBOUND, "channel": action.channel,
        "purpose": action.purpose, "created_at": now, "status": MessageStatus.QUEUED,
        "status_at": now, "dedup_key": action.dedup_key, "to_addr": action.to_addr,
        "template": action.template, "context": {"audience": action.audience.value,
                                                 **action.context},
        "language": action.language, "shipper_id": action.shipper_id,
        "market_id": action.market_id, "recipient_id": action.recipient_id,
        "driver_id": action.driver_id, "subject_type": action.subject_type,
        "subject_id": action.subject_id, "event_id": event_id, "send_after": action.send_after,
        "expires_at": action.expires_at, "from_addr": action.from_addr, "body": action.body,
    }
    written = inserted(session, insert(messages).values(row)
                       .on_conflict_do_nothing(index_elements=["dedup_key"]), messages.c.id)
    if written and action.question and action.to_addr:
        conversation = conversations.open_question(
            session, channel=action.channel, address=action.to_addr, question=action.question,
            subject_type=action.subject_type, subject_id=action.subject_id, now=now)
        session.execute(messages.update().where(messages.c.id == row["id"])
                        .values(conversation_id=conversation))
    return written
