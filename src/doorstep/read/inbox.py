"""The Needs a person inbox: incoming messages no rule could act on, longest waiting first,
with who wrote them and what they are about — scoped to who is asking."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Direction
from doorstep.domain.access import Principal
from doorstep.store.tables import drivers, messages, recipients, shippers

PAGE = 200


def _where(who: Principal) -> list[sa.ColumnElement[bool]]:
    where = [messages.c.direction == Direction.INBOUND, messages.c.needs_person_at.is_not(None),
             messages.c.settled_at.is_(None)]
    shipper = who.shipper_scope()
    if shipper is not None:
        where.append(messages.c.shipper_id == shipper)
    return where


def waiting(s: Session, who: Principal, limit: int = PAGE) -> list[Any]:
    return list(s.execute(
        sa.select(messages, recipients.c.name.label("recipient_name"),
                  drivers.c.name.label("driver_name"), shippers.c.name.label("shipper_name"))
        .outerjoin(recipients, recipients.c.id == messages.c.recipient_id)
        .outerjoin(drivers, drivers.c.id == messages.c.driver_id)
        .outerjoin(shippers, shippers.c.id == messages.c.shipper_id)
        .where(*_where(who))
        .order_by(messages.c.needs_person_at, messages.c.id).limit(limit)))


def count(s: Session, who: Principal) -> int:
    return int(s.scalar(sa.select(sa.func.count()).select_from(messages).where(*_where(who)))
               or 0)

