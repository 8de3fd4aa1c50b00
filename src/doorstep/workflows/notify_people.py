"""Who a notice reaches: the recipient's channels and language, and a delivery's people read
only when a notice is made."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Protocol

from doorstep.domain import Channel, Market, Recipient, Shipper
from doorstep.workflows import notify_words as words
from doorstep.workflows.notify_policy import NotifyPolicy

Window = tuple[datetime, datetime]


def reach(recipient: Recipient, policy: NotifyPolicy,
          opted_out: frozenset[Channel] = frozenset()) -> tuple[tuple[Channel, str], ...]:
    """The channels (with addresses) a notice goes by: the policy's first one the recipient can
    be reached on and has not opted out of; every such one with `every_channel`."""
    found: list[tuple[Channel, str]] = []
    for name in policy.channels:
        if name == "sms" and recipient.may_text() and Channel.SMS not in opted_out:
            found.append((Channel.SMS, recipient.phone or ""))
        elif name == "email" and recipient.may_email() and Channel.EMAIL not in opted_out:
            found.append((Channel.EMAIL, recipient.email or ""))
        if found and not policy.every_channel:
            break
    return tuple(found)


def language_for(recipient: Recipient, shipper: Shipper) -> str:
    """The recipient's language where the shipper writes in it, else the shipper's first."""
    if recipient.language in shipper.languages or not shipper.languages:
        return recipient.language
    return shipper.languages[0]


class DeliveryLike(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def route_id(self) -> str | None: ...
    @property
    def time_sensitive(self) -> bool: ...
    @property
    def window_end(self) -> datetime | None: ...
    @property
    def address_line1(self) -> str: ...
    @property
    def address_city(self) -> str: ...


@dataclass(frozen=True)
class People:
    """Who a notice reaches: read only when a notice is made. `link` makes a tracking link
    (the caller makes one per delivery and event, however often it is asked)."""

    recipient: Recipient
    market: Market
    reach: tuple[tuple[Channel, str], ...]
    link: Callable[[], str | None] = field(default=lambda: None)


@dataclass
class Addressee:
    """One delivery, its shipper and policy, and (on demand) the people it concerns."""

    delivery: DeliveryLike
    shipper: Shipper
    policy: NotifyPolicy
    load: Callable[[], People]

    @cached_property
    def people(self) -> People:
        return self.load()

    @property
    def recipient(self) -> Recipient:
        return self.people.recipient

    @property
    def market(self) -> Market:
        return self.people.market

    @property
    def reach(self) -> tuple[tuple[Channel, str], ...]:
        return self.people.reach

    def link(self) -> str | None:
        return self.people.link()

    @property
    def language(self) -> str:
        return language_for(self.recipient, self.shipper)

    @property
    def time_sensitive(self) -> bool:
        return self.delivery.time_sensitive or self.shipper.time_sensitive

    def words(self, w: Window) -> str:
        return words.window(w[0], w[1], self.market.timezone, self.language)
