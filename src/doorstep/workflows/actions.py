"""What a decision asks for. Handlers apply these in the transaction that stored the decision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from doorstep.domain import Channel


class Audience(StrEnum):
    RECIPIENT = "recipient"
    DRIVER = "driver"
    SUPERVISOR = "supervisor"  # the market's dispatch supervisor
    OPERATIONS = "operations"  # operations leadership


@dataclass(frozen=True)
class QueueMessage:
    """An outbox row. `dedup_key` (purpose + subject + version) makes queuing it twice a no-op."""

    purpose: str
    channel: Channel
    audience: Audience
    dedup_key: str
    subject_type: str
    subject_id: str
    to_addr: str | None
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    language: str = "en"
    shipper_id: str | None = None
    market_id: str | None = None
    recipient_id: str | None = None
    driver_id: str | None = None
    send_after: datetime | None = None
    expires_at: datetime | None = None  # too late to matter after this: suppressed, not sent
    question: str | None = None  # a reply context: the answer is routed back to this decision
    from_addr: str | None = None  # the sender, when it is not the shipper's own
    body: str | None = None  # words already written (a person's answer), not a template's


@dataclass(frozen=True)
class OpenGap:
    shift_id: str


Action = QueueMessage | OpenGap
