"""What a channel is given and what it answers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    to: str
    sender: str | None  # a from-number, a messaging service (MG…), an email address
    body: str
    subject: str | None = None  # email
    html: str | None = None  # email


@dataclass(frozen=True)
class Accepted:
    """The provider took the message; `provider_id` names it there (a Twilio SID)."""

    provider_id: str | None
    segments: int | None = None


class ChannelError(Exception):
    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


class Transient(ChannelError):
    """Nothing was sent; trying again later may work (rate limits, a refused connection)."""


class Unknown(ChannelError):
    """The request may or may not have created the message (a timeout, a 5xx): it must be
    reconciled with the provider before any resend."""


class Permanent(ChannelError):
    """It will never work for this message. `reason` says what it means for the recipient."""

    def __init__(self, code: str, detail: str, reason: str | None = None) -> None:
        super().__init__(code, detail)
        self.reason = reason  # invalid_number | opted_out | None


class Channel(Protocol):
    name: str

    def send(self, message: Outgoing) -> Accepted: ...

    def find(self, message: Outgoing, since: datetime) -> Accepted | None:
        """After an unknown outcome: the message if the provider has one made since `since`
        (when the attempt began), else None."""
        ...
