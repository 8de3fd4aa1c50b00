"""What doorstep received or owed but could not settle on its own, for a person to look at:
payloads kept flagged (a shape no one documented, an unknown depot …) and platform writes the
platform refused or never showed."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from doorstep.domain import EventStatus
from doorstep.domain.access import Principal
from doorstep.store.platform_writes import WriteStatus
from doorstep.store.tables import events, platform_writes

LIMIT = 200


def flagged(s: Session, who: Principal, limit: int = LIMIT) -> list[Any]:
    """Newest first. A shipper's people see none: a payload that could not be read names no
    shipper it could be shown to."""
    if who.shipper_id is not None:
        return []
    stmt = (sa.select(events.c.id, events.c.source, events.c.type, events.c.received_at,
                      events.c.note, events.c.payload, events.c.subject)
            .where(events.c.status == EventStatus.FLAGGED)
            .order_by(events.c.received_at.desc(), events.c.id.desc()).limit(limit))
    return list(s.execute(stmt).all())


def failed_writes(s: Session, who: Principal, limit: int = LIMIT) -> list[Any]:
    if who.shipper_id is not None:
        return []
    w = platform_writes
    stmt = (sa.select(w.c.id, w.c.platform, w.c.kind, w.c.subject_type, w.c.subject_id,
                      w.c.settled_at, w.c.tries, w.c.last_error, w.c.payload)
            .where(w.c.status == WriteStatus.FAILED.value)
            .order_by(w.c.settled_at.desc(), w.c.id.desc()).limit(limit))
    return list(s.execute(stmt).all())


def counts(s: Session, who: Principal) -> int:
    if who.shipper_id is not None:
        return 0
    flagged_n = s.scalar(sa.select(sa.func.count()).select_from(events)
                         .where(events.c.status == EventStatus.FLAGGED)) or 0
    failed_n = s.scalar(sa.select(sa.func.count()).select_from(platform_writes)
                        .where(platform_writes.c.status == WriteStatus.FAILED.value)) or 0
    return int(flagged_n) + int(failed_n)
