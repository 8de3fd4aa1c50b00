"""Inbound messages: kept as received, tied to the person who sent them where we know them."""

from __future__ import annotations

import sqlalchemy as sa

from doorstep.domain import (
    Channel,
    Direction,
    Driver,
    EventType,
    Message,
    MessageStatus,
    Recipient,
)
from doorstep.events import format as f
from doorstep.events.outbox import new_id
from doorstep.events.processing import Ctx, Outcome, applied, handles
from doorstep.store.tables import drivers, recipients


@handles(EventType.MESSAGE_RECEIVED)
def message_received(ctx: Ctx, data: f.MessageReceived) -> Outcome:
    s = ctx.session
    field = "phone" if data.channel == "sms" else "email"
    recipient = s.scalars(sa.select(Recipient).where(
        recipients.c[field] == data.from_addr).limit(1)).first()
    driver = s.scalars(sa.select(Driver).where(
        drivers.c[field] == data.from_addr).limit(1)).first()
    s.add(Message(
        id=new_id("msg"), direction=Direction.INBOUND, channel=Channel(data.channel),
        purpose="reply", created_at=ctx.at, status=MessageStatus.RECEIVED, status_at=ctx.at,
        from_addr=data.from_addr, to_addr=data.to_addr, body=data.body,
        provider_id=data.provider_id, recipient_id=recipient.id if recipient else None,
        driver_id=driver.id if driver else None, event_id=ctx.event.id))
    return applied()
