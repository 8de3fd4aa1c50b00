"""Consent: who said STOP to which sender, and who came back with START.

Changes are kept, newest last, so the record says when and how each one happened; the latest
change for (channel, address, sender) is the one in force. An opt-out from every sender ("*")
outranks any sender's own opt-in that came before it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel
from doorstep.store.tables import consent_changes

EVERY_SENDER = "*"


@dataclass(frozen=True)
class ConsentChange:
    channel: Channel
    address: str
    sender: str
    opted_out: bool
    at: datetime
    source: str  # reply | keyword | carrier | person
    detail: str | None = None


def record(s: Session, change: ConsentChange) -> None:
    s.execute(consent_changes.insert().values(
        channel=change.channel, address=change.address, sender=change.sender,
        opted_out=change.opted_out, at=change.at, source=change.source,
        detail=(change.detail or "")[:400] or None))


def opted_out(s: Session, channel: Channel, address: str, sender: str | None) -> bool:
    """True when the latest change that applies to this sender (its own, or one for every
    sender) is an opt-out."""
    senders = [EVERY_SENDER] if sender is None else [sender, EVERY_SENDER]
    latest = s.execute(
        sa.select(consent_changes.c.opted_out)
        .where(consent_changes.c.channel == channel, consent_changes.c.address == address,
               consent_changes.c.sender.in_(senders))
        .order_by(consent_changes.c.id.desc()).limit(1)).first()
    return bool(latest and latest.opted_out)


def opted_out_of(s: Session, asked: dict[Channel, tuple[str, str | None]]
                 ) -> frozenset[Channel]:
    """`opted_out` for several channels at once: channel -> (address, sender); one query."""
    if not asked:
        return frozenset()
    c = consent_changes.c
    latest: dict[Channel, bool] = {}
    for row in s.execute(sa.select(c.channel, c.address, c.sender, c.opted_out)
                         .where(c.channel.in_(list(asked)),
                                c.address.in_([a for a, _ in asked.values()]))
                         .order_by(c.id)):
        channel = Channel(row.channel)
        if channel not in asked:
            continue
        address, sender = asked[channel]
        if row.address == address and row.sender in (EVERY_SENDER, sender):
            latest[channel] = bool(row.opted_out)
    return frozenset(ch for ch, out in latest.items() if out)


def history(s: Session, channel: Channel, address: str) -> list[ConsentChange]:
    rows = s.execute(sa.select(consent_changes)
                     .where(consent_changes.c.channel == channel,
                            consent_changes.c.address == address)
                     .order_by(consent_changes.c.id))
    return [ConsentChange(Channel(r.channel), r.address, r.sender, r.opted_out, r.at, r.source,
                          r.detail) for r in rows]
