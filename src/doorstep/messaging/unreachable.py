"""Numbers and addresses that cannot receive: marked on the recipient, so that nothing more is
queued for them (`Recipient.may_text` / `may_email`) and what is queued is not sent.

A number is marked when it cannot be a phone number at all, or when the provider says it is not
one it can reach for good (not a mobile, unknown destination, a landline). A handset that is
off (Twilio 30003) is not marked: that passes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import Channel
from doorstep.store.tables import recipients

COLUMN = {Channel.SMS: "phone_invalid_at", Channel.EMAIL: "email_invalid_at"}


def mark(s: Session, channel: Channel, recipient_id: str | None, now: datetime) -> None:
    if recipient_id is None or channel not in COLUMN:
        return
    column = recipients.c[COLUMN[channel]]
    s.execute(recipients.update().where(recipients.c.id == recipient_id, column.is_(None))
              .values({column: now}))


def known(s: Session, channel: Channel, recipient_id: str | None) -> bool:
    """True when this recipient's number (or address) was found unreachable before: a
    recipient has one number (a new number is a new recipient), so the mark is the answer."""
    if recipient_id is None or channel not in COLUMN:
        return False
    return s.scalar(sa.select(recipients.c[COLUMN[channel]])
                    .where(recipients.c.id == recipient_id)) is not None
