"""Messages in and out, on any channel, and the conversations that route replies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from doorstep.domain.lifecycle import Lifecycle
from doorstep.domain.timeutil import require_aware


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"
    ALERT = "alert"  # internal: dispatch supervisor, operations
    CONSOLE = "console"  # development: shown, never sent


class Direction(StrEnum):
    OUTBOUND = "outbound"
    INBOUND = "inbound"


class MessageStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    RECEIVED = "received"


MESSAGE_LIFECYCLE: Lifecycle[MessageStatus] = Lifecycle(
    "message",
    {
        MessageStatus.QUEUED: [MessageStatus.SENDING, MessageStatus.SUPPRESSED,
                               MessageStatus.FAILED],
        # A crash between marking and sending leaves `sending`; reconciliation settles it.
        MessageStatus.SENDING: [MessageStatus.SENT, MessageStatus.FAILED, MessageStatus.QUEUED,
                                MessageStatus.DELIVERED, MessageStatus.UNDELIVERED],
        MessageStatus.SENT: [MessageStatus.DELIVERED, MessageStatus.UNDELIVERED,
                             MessageStatus.FAILED],
        # Carriers sometimes report undelivered and later delivered; the later word wins once.
        MessageStatus.UNDELIVERED: [MessageStatus.DELIVERED],
        MessageStatus.DELIVERED: [],
        MessageStatus.FAILED: [],
        MessageStatus.SUPPRESSED: [],
        MessageStatus.RECEIVED: [],
    },
)


class SuppressionReason(StrEnum):
    OPTED_OUT = "opted_out"
    QUIET_HOURS_EXPIRED = "quiet_hours_expired"
    INVALID_NUMBER = "invalid_number"
    POLICY = "policy"


@dataclass
class Message:
    """One message in or out. Outbound rows are the outbox: written with the decision."""

    id: str
    direction: Direction
    channel: Channel
    purpose: str
    created_at: datetime
    status: MessageStatus = MessageStatus.QUEUED
    dedup_key: str | None = None
    to_addr: str | None = None
    from_addr: str | None = None
    body: str | None = None
    template: str | None = None
    context: dict[str, Any] | None = None
    language: str = "en"
    shipper_id: str | None = None
    market_id: str | None = None
    recipient_id: str | None = None
    driver_id: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    conversation_id: str | None = None
    event_id: int | None = None
    send_after: datetime | None = None
    status_at: datetime | None = None
    provider_id: str | None = None
    suppressed_reason: SuppressionReason | None = None
    error_code: str | None = None
    expires_at: datetime | None = None
    attempts: int = 0
    sent_at: datetime | None = None
    segments: int | None = None

    def move(self, target: MessageStatus, at: datetime) -> None:
        MESSAGE_LIFECYCLE.check(self.status, target)
        self.status_at = require_aware(at)
        self.status = target

    def suppress(self, reason: SuppressionReason, at: datetime) -> None:
        self.move(MessageStatus.SUPPRESSED, at)
        self.suppressed_reason = reason


class ConversationStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    EXPIRED = "expired"
    HANDED_OVER = "handed_over"  # to a person


@dataclass
class Conversation:
    """An open question to one address: the reply that comes back is routed to it."""

    id: str
    channel: Channel
    address: str
    question: str
    subject_type: str
    subject_id: str
    opened_at: datetime
    expires_at: datetime | None = None
    status: ConversationStatus = ConversationStatus.OPEN
