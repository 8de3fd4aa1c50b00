"""Delivery receipts: a provider's word on a message we sent, applied forward only.

Receipts come late, twice and out of order (Twilio says so), so each is kept once by
(provider id, status, error code) and moves the message only forward: a late `sent` never
overwrites `delivered`. A receipt for a message we do not know is kept, flagged, for a person.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel, EventStatus, MessageStatus
from doorstep.messaging import consent, unreachable
from doorstep.store.sql import insert_for, inserted
from doorstep.store.tables import events, messages

# Provider statuses (Twilio's words) in doorstep's, and how far along each is.
STATUS = {"accepted": None, "scheduled": None, "queued": None, "sending": None,
          "sent": MessageStatus.SENT, "delivered": MessageStatus.DELIVERED,
          "undelivered": MessageStatus.UNDELIVERED, "failed": MessageStatus.FAILED,
          "canceled": MessageStatus.FAILED, "read": MessageStatus.DELIVERED,
          "partially_delivered": MessageStatus.DELIVERED}
RANK = {MessageStatus.QUEUED: 0, MessageStatus.SENDING: 1, MessageStatus.SENT: 2,
        MessageStatus.UNDELIVERED: 3, MessageStatus.DELIVERED: 4, MessageStatus.FAILED: 4,
        MessageStatus.SUPPRESSED: 5}
# Carrier codes that say the number will never receive (an unknown destination, a landline);
# 30003 (handset off) is not among them.
UNREACHABLE = {"30005", "30006"}


@dataclass(frozen=True)
class Receipt:
    provider_id: str
    status: str
    error_code: str | None
    message_id: str | None  # ours, when the callback URL carried it
    sender: str | None
    to: str | None
    params: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    known: bool
    changed: bool
    duplicate: bool


def apply(s: Session, source: str, receipt: Receipt, now: datetime) -> Outcome:
    external_id = f"{receipt.provider_id}:{receipt.status}:{receipt.error_code or ''}"[:128]
    where = (messages.c.id == receipt.message_id if receipt.message_id
             else messages.c.provider_id == receipt.provider_id)
    row = s.execute(sa.select(messages).where(where)).first()
    stored = inserted(s, insert_for(s)(events).values(
        source=source, external_id=external_id, type="message.receipt", occurred_at=now,
        received_at=now, payload=receipt.params, subject=f"message:{row.id}" if row else None,
        status=EventStatus.PROCESSED if row else EventStatus.FLAGGED, tries=0,
        processed_at=now,
        note=None if row else "a receipt for a message doorstep does not know",
    ).on_conflict_do_nothing(index_elements=["source", "external_id"]), events.c.id)
    if not stored:
        return Outcome(known=row is not None, changed=False, duplicate=True)
    if row is None:
        return Outcome(known=False, changed=False, duplicate=False)
    target = STATUS.get(receipt.status)
    current = MessageStatus(row.status)
    if target is None or RANK[target] <= RANK[current] or current in (
            MessageStatus.DELIVERED, MessageStatus.FAILED, MessageStatus.SUPPRESSED):
        return Outcome(known=True, changed=False, duplicate=False)
    values: dict[str, object] = {"status": target, "status_at": now}
    if row.provider_id is None:  # we crashed before recording the provider's answer
        values["provider_id"] = receipt.provider_id
    if row.sent_at is None:
        values["sent_at"] = now
    if receipt.error_code:
        values["error_code"] = receipt.error_code
    s.execute(messages.update().where(messages.c.id == row.id).values(**values))
    if receipt.error_code in UNREACHABLE:
        unreachable.mark(s, Channel(row.channel), row.recipient_id, now)
    if receipt.error_code == "21610" and row.to_addr:
        consent.record(s, consent.ConsentChange(
            Channel(row.channel), row.to_addr, row.from_addr or consent.EVERY_SENDER, True, now,
            "carrier", "provider reported 21610 (unsubscribed recipient)"))
    return Outcome(known=True, changed=True, duplicate=False)
