"""Messages as the dashboard shows them: the outbox (and what came in), one message with its
attempts, and the thread with one phone number or email address — scoped to who is asking."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain.access import Principal
from doorstep.store.tables import message_attempts, messages

PAGE = 100


@dataclass(frozen=True)
class MessageFilter:
    status: str | None = None
    channel: str | None = None
    direction: str | None = None
    purpose: str | None = None
    market: str | None = None


def _scope(who: Principal) -> list[sa.ColumnElement[bool]]:
    shipper = who.shipper_scope()
    # Alerts and anything without a shipper are the operator's own.
    return [] if shipper is None else [messages.c.shipper_id == shipper]


def message_page(s: Session, who: Principal, f: MessageFilter,
                 before: tuple[datetime, str] | None = None,
                 limit: int = PAGE) -> tuple[list[Any], tuple[datetime, str] | None]:
    """Newest first; the key of the last row when there are older ones."""
    where = _scope(who)
    for column, value in ((messages.c.status, f.status), (messages.c.channel, f.channel),
                          (messages.c.direction, f.direction), (messages.c.purpose, f.purpose),
                          (messages.c.market_id, f.market)):
        if value:
            where.append(column == value)
    if before is not None:
        where.append(sa.tuple_(messages.c.created_at, messages.c.id) < sa.tuple_(*before))
    rows = list(s.execute(sa.select(messages).where(*where)
                          .order_by(messages.c.created_at.desc(), messages.c.id.desc())
                          .limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, ((rows[-1].created_at, rows[-1].id) if more and rows else None)


def visible_message(s: Session, message_id: str, who: Principal) -> Any | None:
    return s.execute(sa.select(messages).where(messages.c.id == message_id,
                                               *_scope(who))).first()


def attempts(s: Session, message_id: str) -> list[Any]:
    return list(s.execute(sa.select(message_attempts)
                          .where(message_attempts.c.message_id == message_id)
                          .order_by(message_attempts.c.number)))


def thread(s: Session, address: str, who: Principal, limit: int = 500) -> list[Any]:
    """Every message to or from an address, oldest first."""
    return list(s.execute(
        sa.select(messages)
        .where(sa.or_(messages.c.to_addr == address, messages.c.from_addr == address),
               *_scope(who))
        .order_by(messages.c.created_at, messages.c.id).limit(limit)))
